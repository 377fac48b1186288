"""The ``ownersvote`` commands that need the app and its database (``init``, ``estate``,
``import-registry``, ``check``, ``worker``, ``demo``, ...).  ``webapp.cli`` loads this module only
when one of them is run, so that ``ownersvote tally`` and ``verify`` never import Flask."""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from crypto.keys import ed25519_from_seed
from webapp import create_app
from webapp.assemblies.lifecycle import advance_estate
from webapp.assemblies.models import Assembly
from webapp.assemblies.presentation import estate_assemblies
from webapp.attachments.storage import StoreUnavailable, read
from webapp.audit.operations import chain_events
from webapp.auth.operations import StaffError, assign_role, create_staff, find_staff, set_staff_identity
from webapp.core import db as database
from webapp.core.config import ConfigError, Settings, database_url
from webapp.core.db import db
from webapp.core.filestore import STORE_MARKER, mark
from webapp.core.instance import instance_path
from webapp.core.migrate import schema_state, upgrade
from webapp.core.roles import Role
from webapp.core.serverkey import ServerKeyError, load_seed, ms, record_first_key, signer
from webapp.core.timefmt import local
from webapp.demo.assemblies import CLOSES_IN_MINUTES
from webapp.demo.setup import DEMO_LOGINS, DEMO_NAME, DEMO_NAMES, DEMO_SLUG, closing_soon, demo_evaluation_lines, ensure_demo, sample_owner
from webapp.estates.operations import EstateError, create_estate, get_estate
from webapp.jobs.context import files_root, side_session
from webapp.jobs.operations import sweep_results
from webapp.jobs.runner import job_queue, set_worker_app, start_dead_sweeps
from webapp.oversight.integrity import IntegrityReport, check_audit, check_estate
from webapp.oversight.serverkeys import KeySetError, activate_key, add_key, retire_key
from webapp.oversight.serverkeys import keys as key_set_rows
from webapp.oversight.serverkeys import state_of as key_state
from webapp.registry.counting import format_area
from webapp.registry.importing import RemovalNotConfirmed, import_file, removal_of, validate_file
from webapp.registry.operations import diff_registry, estate_roster
from webapp.registry.parsing import RegistryFileError
from webapp.registry.plan import RegistryRejected
from webapp.results.signatures import tally_of
from webapp.voting.sequencer import every as sequencer_every
from webapp.voting.sequencer import mode as sequencer_mode
from webapp.voting.sequencer import run_forever as sequencer_forever
from webapp.voting.sequencer import run_once as sequencer_run_once
from webapp.voting.sequencer import start_thread as start_sequencer_thread

commands = click.Group()


def _app():
    try:
        return create_app()
    except ConfigError as exc:  # the configuration, or a startup check (the server key): a sentence, not a traceback
        _fail(f"error: {exc}", 2)


def with_app(func):
    """Run the command inside an application context, committing once at the end."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        app = _app()
        with app.app_context():
            _require_schema()
            return func(*args, **kwargs)

    return wrapper


def _require_schema() -> None:
    """A database without the newest schema gets a sentence that says what to run, not a
    traceback from the first query."""

    current, head = schema_state(db.engine)
    if current is None:
        _fail(
            "error: the database has no tables yet: run `ownersvote init` (or `ownersvote demo`) first / "
            "数据库尚未建立：请先运行 ownersvote init（或 ownersvote demo）",
            2,
        )
    if current != head:
        _fail(
            f"error: the database schema is at {current}, the code needs {head}: run `ownersvote init` to upgrade / "
            f"数据库结构需要升级：请运行 ownersvote init",
            2,
        )


def _fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@commands.command()
def init() -> None:
    """Create or upgrade the database (OWNERSVOTE_DATABASE_URL) to the newest schema."""

    url = database_url()
    if url.startswith("sqlite:///"):
        instance_path().mkdir(parents=True, exist_ok=True)
    ran = upgrade(url)
    for revision, message in ran:
        click.echo(f"migrated: {revision}  {message}")
    if not ran:
        click.echo("no migration to run: the schema is the newest")
    click.echo(f"database ready: {_redact(url)}")
    # The file store and the job files folder, as every server must see them (shared): a server
    # that does not find this marker there takes the store for not mounted (webapp/core/filestore.py).
    for what, variable, default in (("file store", "OWNERSVOTE_FILES_PATH", "files"), ("job files", "OWNERSVOTE_JOB_FILES", "jobs")):
        configured = os.environ.get(variable)
        folder = Path(configured) if configured else instance_path() / default
        try:
            mark(folder, what)
            click.echo(f"{what}: {folder} (marked with {STORE_MARKER})")
        except OSError as exc:
            click.echo(f"warning: could not mark the {what} folder {folder}: {exc}", err=True)


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@commands.group()
def estate() -> None:
    """Estates (小区)."""


@estate.command("create")
@click.option("--slug", required=True, help="Short name used in addresses, e.g. lvyuan")
@click.option("--name", required=True, help="The estate's name, e.g. 绿苑小区")
@with_app
def estate_create(slug: str, name: str) -> None:

    try:
        created = create_estate(slug, name, actor="cli")
    except EstateError as exc:
        _fail(f"error: {exc.en} / {exc.zh}")
    db.session.commit()
    click.echo(f"estate {created.slug} created: {created.name}")


def _load_estate(slug: str):

    found = get_estate(slug)
    if found is None:
        _fail(f"error: no estate with slug {slug!r} / 没有标识为 {slug} 的小区", 2)
    return found


@commands.command("import-registry")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and show the changes without applying them.")
@click.option(
    "--confirm-removal",
    type=int,
    metavar="N",
    help="Needed when the file removes more than 10% of the units (and at least 10): the number of units it removes.",
)
@with_app
def import_registry(slug: str, file: Path, dry_run: bool, confirm_removal: int | None) -> None:
    """Import the registry FILE (CSV or XLSX) into the estate SLUG, all or nothing."""

    target = _load_estate(slug)
    data = file.read_bytes()
    try:
        if dry_run:
            plan = validate_file(data, file.name)
            diff = diff_registry(target, plan)
            removal = removal_of(plan, diff)
            if removal.needs_confirmation:
                click.echo(
                    f"warning: this file removes {removal.units} of the {removal.current_units} units ({removal.percent}%); "
                    f"applying it needs --confirm-removal {removal.units} / 此文件将移除 {removal.current_units} 套房屋中的 "
                    f"{removal.units} 套，导入时须加 --confirm-removal {removal.units}"
                )
        else:
            diff = import_file(target, data, file.name, actor="cli", confirm_removal=confirm_removal)
            plan = None
    except RemovalNotConfirmed as exc:
        db.session.rollback()
        _fail(f"rejected: {exc.en} / {exc.zh}\nto confirm / 确认移除: --confirm-removal {exc.removal.units}")
    except RegistryFileError as exc:
        db.session.rollback()
        _fail(f"rejected: {exc.en} / {exc.zh}\nnothing was changed / 未做任何修改")
    except RegistryRejected as exc:
        db.session.rollback()
        lines = [f"rejected: {len(exc.problems)} problem(s); nothing was changed / 文件有 {len(exc.problems)} 处问题，未做任何修改"]
        for problem in exc.problems:
            where = f"row {problem.row}" if problem.row else "file"
            column = f" [{problem.header}]" if problem.header else ""
            lines.append(f"  {where}{column}: {problem.en} / {problem.zh}")
        for zh, en in exc.warnings:
            lines.append(f"  warning: {en} / {zh}")
        _fail("\n".join(lines))
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    summary = diff.summary()
    verb = "would change" if dry_run else "applied"
    click.echo(
        f"{verb}: {summary['added_units']} units added, {summary['changed_units']} changed, {summary['removed_units']} removed; "
        f"{summary['added_owners']} owners added, {summary['changed_owners']} changed, {summary['removed_owners']} removed"
    )


@commands.command()
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: totals and every member.")
@with_app
def members(slug: str, as_json: bool) -> None:
    """The voting members of estate SLUG, with total area and headcount."""

    roster, owners = estate_roster(_load_estate(slug))
    if as_json:
        doc = {
            "total_area": format_area(roster.total_area_centi),
            "total_heads": roster.total_heads,
            "members": [
                {"id": m.id, "kind": m.kind, "units": list(m.units), "area": format_area(m.area_centi), "heads": m.heads}
                for m in roster.members
            ],
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for m in roster.members:
        name = owners[m.id].display_name if m.id in owners else "开发建设单位 developer"
        click.echo(f"{m.id:<14} {m.kind:<12} {format_area(m.area_centi):>12} {m.heads:>3}  {name}  {', '.join(m.units)}")
    click.echo(f"total area 总面积 {format_area(roster.total_area_centi)} m², total heads 总人数 {roster.total_heads}")


@commands.command("audit-check")
@click.argument("slug")
@with_app
def audit_check(slug: str) -> None:
    """Check that the estate's audit log is an unbroken hash chain that still holds every event
    its signed anchors (checkpoints, tree heads, tallies) name (exit 1 if not)."""

    estate_row = _load_estate(slug)
    report = IntegrityReport()
    check_audit(estate_row.id, report)
    events = chain_events(estate_row.id)
    if not report.ok:
        _fail(
            "\n".join(
                [f"audit chain BROKEN / 审计日志链已断裂: {len(report.findings)} problem(s)"]
                + [f"  {f.en} / {f.zh}" for f in report.findings]
            )
        )
    click.echo(f"audit chain intact / 审计日志链完整: {len(events)} events, last hash {events[-1].hash if events else '-'}")


@commands.command("check")
@click.argument("slug")
@with_app
def check(slug: str) -> None:
    """Re-verify everything the estate's results stand on (audit chain and anchors, registry,
    rolls, notices, ballot logs and tree heads, tallies, the files in the file store); print what
    differs, exit 1 if anything."""

    report = check_estate(_load_estate(slug))
    for zh, en in report.checked:
        click.echo(f"ok    {en} / {zh}")
    for zh, en in report.skipped:
        click.echo(f"skip  {en} / {zh}")
    for finding in report.findings:
        click.echo(f"FAIL  [{finding.area}] {finding.en} / {finding.zh}")
    if not report.ok:
        _fail(f"{len(report.findings)} problem(s) found / 发现 {len(report.findings)} 处问题")
    click.echo("everything checked matches what was signed / 所有检查均与签名一致")


@commands.command("assemblies")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_app
def assemblies(slug: str, as_json: bool) -> None:
    """The estate's assemblies: id, title, state and voting window."""
    estate_row = _load_estate(slug)
    if advance_estate(estate_row):
        db.session.commit()
    found = estate_assemblies(estate_row)
    rows = [
        {"id": a.id, "title": a.title, "state": a.state, "opens": a.opens_at.isoformat(), "closes": a.closes_at.isoformat()} for a in found
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return

    for a, row in zip(found, rows, strict=True):
        click.echo(f"{row['id']:>4}  {row['state']:<10} {local(a.opens_at, estate_row)} – {local(a.closes_at, estate_row)}  {row['title']}")
    if not rows:
        click.echo("no assemblies / 尚无会议")


@commands.command("export-bundle")
@click.argument("slug")
@click.argument("assembly_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
@with_app
def export_bundle(slug: str, assembly_id: int, out: Path) -> None:
    """Write the public audit bundle of a published assembly (the same bytes as its download)."""

    estate_row = _load_estate(slug)

    assembly = db.session.get(Assembly, assembly_id)
    if assembly is None or assembly.estate_id != estate_row.id:
        _fail(f"error: estate {slug} has no assembly {assembly_id} / 没有这个会议", 2)
    record = tally_of(assembly)
    if assembly.state not in ("published", "archived") or record is None or record.bundle_sha256 is None:
        _fail(
            f"error: assembly {assembly_id} is {assembly.state}; its bundle is public once the certified result is published / "
            "审计数据包在核证结果公示后才公开",
            1,
        )
    try:
        data = read(record.bundle_sha256)
    except StoreUnavailable as exc:
        _fail(f"error: {exc.en} / {exc.zh}", 2)
    out.write_bytes(data)
    click.echo(f"wrote {out}: {len(data)} bytes, sha256 {record.bundle_sha256}")


@commands.group()
def staff() -> None:
    """Staff accounts."""


@staff.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Platform administrator.")
@click.option("--id-number", default=None, help="Resident ID number, kept as a keyed hash: tells whether a supervisor voted as an owner.")
@with_app
def staff_create(username: str, display_name: str, password: str, admin: bool, id_number: str | None) -> None:
    from flask import current_app

    try:
        user = create_staff(username, display_name, password, admin=admin, actor="cli")
        if id_number:
            set_staff_identity(user, id_number, pii_key=current_app.config["OWNERSVOTE_PII_HMAC_KEY"], actor="cli")
    except StaffError as exc:
        _fail(f"error: {exc.en} / {exc.zh}")
    db.session.commit()
    click.echo(f"account {user.username} created")


@staff.command("grant")
@click.argument("username")
@click.argument("slug")
@click.argument("role", type=click.Choice(["organiser", "supervisor"]))
@with_app
def staff_grant(username: str, slug: str, role: str) -> None:

    user = find_staff(username)
    if user is None:
        _fail(f"error: no account {username}", 2)
    try:
        assign_role(user, _load_estate(slug), Role(role), actor="cli")
    except StaffError as exc:
        _fail(f"error: {exc.en} / {exc.zh}")
    db.session.commit()
    click.echo(f"{user.username} is now {role} of {slug}")


@commands.group("server-key", invoke_without_command=True)
@click.option("--generate", is_flag=True, help="Print a new secret for OWNERSVOTE_SERVER_KEY (and its key id) instead.")
@click.pass_context
def server_key(ctx: click.Context, generate: bool) -> None:
    """Print the server signing key's id (kid) and public key, as notices and bundles name it and
    as verifiers pin it (ownersvote verify --server-key KID); never the secret itself.  Its
    subcommands change the installation's key set: a key rotation (docs/deployment.md)."""
    import base64
    import secrets

    if ctx.invoked_subcommand is not None:
        if generate:
            _fail("error: --generate stands alone (ownersvote server-key --generate)", 2)
        return
    if generate:
        seed = secrets.token_bytes(32)
        key = ed25519_from_seed(seed)
        click.echo(f"OWNERSVOTE_SERVER_KEY={base64.urlsafe_b64encode(seed).decode()}")
        click.echo(f"# key id (publish it; keep the line above secret and backed up): {key.kid}", err=True)
        click.echo(f"# public key (ownersvote server-key add '...'): {json.dumps(key.jwk, sort_keys=True)}", err=True)
        return
    try:
        key = ed25519_from_seed(load_seed(os.environ.get("OWNERSVOTE_ENV") == "production"))
    except (ServerKeyError, ValueError) as exc:
        _fail(f"error: {exc}")
    click.echo(f"kid {key.kid}")
    click.echo(f"jwk {json.dumps(key.jwk, sort_keys=True)}")


def with_key_set(func):
    """Like :func:`with_app`, for the commands that change the key set: the app is built without
    the start-up check of the configured key (they are how a key is put right), and an empty key
    set first gets the installation's first key, as a start would record it."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            app = create_app({"OWNERSVOTE_STARTUP_CHECKS": False})
        except ConfigError as exc:
            _fail(f"error: {exc}", 2)
        with app.app_context():
            _require_schema()
            problem = record_first_key(signer())
            if problem:
                _fail(f"error: {problem}", 2)
            db.session.commit()
            return func(*args, **kwargs)

    return wrapper


def _key_line(key, now) -> str:
    state = key_state(key, now)
    since = f"from {key.not_before:%Y-%m-%d %H:%M:%S} UTC" if key.not_before and key.not_before.year > 1970 else "from the start"
    if state == "added":
        period = f"added {key.added_at:%Y-%m-%d %H:%M:%S} UTC, not in use yet"
    elif state == "active":
        period = f"{since}, in use"
    else:
        period = (f"{since} " if key.not_before else "never used, ") + f"until {key.retired_at:%Y-%m-%d %H:%M:%S} UTC"
    return f"{key.kid}  {state:<8} {period}"


@server_key.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: each key's kid, public key, state and period (ms), to publish.")
@with_key_set
def server_key_list(as_json: bool) -> None:
    """The installation's key set: every key, its state and its period [not_before, retired_at)."""
    now = database.db_now()
    found = key_set_rows()
    if as_json:
        doc = [
            {
                "kid": k.kid,
                "jwk": k.jwk,
                "state": key_state(k, now),
                "not_before": ms(k.not_before) if k.not_before else None,
                "retired_at": ms(k.retired_at) if k.retired_at else None,
            }
            for k in found
        ]
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
        return
    mine = signer().kid
    for k in found:
        click.echo(_key_line(k, now) + ("   (configured here)" if k.kid == mine else ""))


def _change_key_set(change, argument):
    """One change to the server's key set, committed, or refused in words with nothing kept."""
    try:
        key = change(argument, actor="cli")
    except KeySetError as exc:
        db.session.rollback()
        _fail(f"error: {exc.en} / {exc.zh}")
    db.session.commit()
    return key


# A key id is base64url and one in 64 begins with "-": click would read it as an option
# (`activate -O_15…` failed with "No such option '-O'"), so a command whose only argument is a key
# id takes an unknown option as that argument, and the command it prints works as printed.
_KID_FIRST = {"ignore_unknown_options": True}


@server_key.command("add")
@click.argument("jwk", required=False)
@with_key_set
def server_key_add(jwk: str | None) -> None:
    """Add a new key (its public JWK, as `ownersvote server-key --generate` prints it; without
    JWK, the key this machine is configured with), not in use until `activate`."""
    try:
        public = json.loads(jwk) if jwk else signer().jwk
    except ValueError:
        _fail('error: JWK must be the public key as JSON, e.g. \'{"crv": "Ed25519", "kty": "OKP", "x": "..."}\'', 2)
    key = _change_key_set(add_key, public)
    click.echo(f"added {key.kid}: not in use yet; `ownersvote server-key activate {key.kid}` puts it into use")


@server_key.command("activate", context_settings=_KID_FIRST)
@click.argument("kid")
@with_key_set
def server_key_activate(kid: str) -> None:
    """Put the key KID into use from now (by the database's clock): machines configured with it
    may start and sign; the keys active before stay active until retired."""
    key = _change_key_set(activate_key, kid)
    click.echo(f"{key.kid} is in use from {key.not_before:%Y-%m-%d %H:%M:%S} UTC; publish its key id")


@server_key.command("retire", context_settings=_KID_FIRST)
@click.argument("kid")
@with_key_set
def server_key_retire(kid: str) -> None:
    """Retire the key KID from now (by the database's clock): nothing dated from now on is signed
    with it, and a machine still configured with it stops signing (its /readyz says so).  Run it
    once every machine has been restarted with the new key."""
    key = _change_key_set(retire_key, kid)
    click.echo(f"{key.kid} retired at {key.retired_at:%Y-%m-%d %H:%M:%S} UTC: remove its secret from every machine and destroy it")


@commands.command()
@click.option("--burst", is_flag=True, help="Run the jobs already queued, then exit.")
@click.option("--queue", "queue_name", help="Queue name (default: OWNERSVOTE_JOB_QUEUE, else ownersvote).")
def worker(burst: bool, queue_name: str | None) -> None:
    """Run background jobs (letters, …) from the app's RQ queue; needs OWNERSVOTE_REDIS_URL."""
    app = _app()
    if not app.config.get("OWNERSVOTE_REDIS_URL"):
        _fail(
            "error: ownersvote worker needs OWNERSVOTE_REDIS_URL (e.g. redis://127.0.0.1:6379/0); "
            "without Redis, jobs run in the web process and no worker is needed"
        )
    from rq import Worker

    if queue_name:
        app.config["OWNERSVOTE_JOB_QUEUE"] = queue_name
    set_worker_app(app)  # the work horses forked for each job reuse it
    with app.app_context():
        sweep_results(side_session, files_root(app))
    # Jobs whose worker died (killed, its machine restarted) are failed now, and every minute
    # after by a scheduled job (not in burst mode, which runs no scheduler).
    marked = start_dead_sweeps(app, repeat=not burst)
    if marked:
        click.echo(f"ownersvote worker: {len(marked)} job(s) whose worker is gone marked failed: {', '.join(map(str, marked))}")
    if sequencer_mode(app) == "worker":
        start_sequencer_thread(app)  # accepted ballots are integrated here (webapp.voting.sequencer)
        click.echo("ownersvote worker: sequencer running")
    queue = job_queue(app)
    click.echo(f"ownersvote worker: queue {queue.name} on {_redact(app.config['OWNERSVOTE_REDIS_URL'])}" + (" (burst)" if burst else ""))
    Worker([queue], connection=queue.connection).work(burst=burst, with_scheduler=not burst, logging_level="INFO")


@commands.command()
@click.option("--once", is_flag=True, help="One pass over the assemblies, then exit.")
def sequencer(once: bool) -> None:
    """Integrate accepted ballots into their logs, in batches on a clock (webapp.voting.sequencer).
    Any number may run: one integrates a log at a time."""
    app = _app()
    if once:
        with app.app_context():
            done = sequencer_run_once()
        click.echo(f"ownersvote sequencer: {done.integrated} ballot(s) in {done.batches} batch(es); {done.transitions} transition(s)")
        return
    click.echo(f"ownersvote sequencer: a pass every {sequencer_every(app)} s (Ctrl+C to stop)")
    stop = threading.Event()
    try:
        sequencer_forever(app, stop)
    except KeyboardInterrupt:
        stop.set()


@commands.group()
def jobs() -> None:
    """Background jobs."""


@jobs.command("sweep")
@with_app
def jobs_sweep() -> None:
    """Delete job result files past their keeping time (the app also does it by itself)."""
    from flask import current_app

    removed = sweep_results(side_session, files_root(current_app))
    click.echo(f"{removed} expired result file(s) deleted")


@commands.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the app with the development server (production: gunicorn, see README)."""
    app = _app()
    click.echo(f"OwnersVote at http://{host}:{port}/  (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=False, use_reloader=False)


@commands.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Create the demo data and exit.")
@click.option(
    "--closes-in",
    default=CLOSES_IN_MINUTES,
    show_default=True,
    type=click.IntRange(1, 24 * 60),
    help="Minutes until the short demo assembly closes, on the whole minute (when the demo is created).",
)
def demo(host: str, port: int, no_serve: bool, closes_in: int) -> None:
    """Create (once) a demo estate of 1,200 units with staff logins, then serve the app."""

    if Settings.from_env().production:
        _fail("error: the demo never runs in production mode")
    upgrade(database_url())
    app = _app()
    with app.app_context():
        created = ensure_demo(timedelta(minutes=closes_in))
        closing = closing_soon()
        closing_line = (
            f"the demo assembly '{closing.title}' closes at "
            f"{closing.closes_at.astimezone(ZoneInfo(closing.estate.timezone)):%Y-%m-%d %H:%M} ({closing.estate.timezone}), state now: {closing.state};"
            f" the README's Set up section walks it to its published result in ten minutes"
            if closing is not None
            else None
        )
    # Owners' pages are under /p/, the staff's under /e/ (which sends anyone else to the staff login).
    click.echo(
        f"demo estate {DEMO_NAME} (owners and the public: /p/{DEMO_SLUG}/assemblies, staff: /e/{DEMO_SLUG}/): "
        + ("created" if created else "already there, left as it was")
    )
    for username, password, role in DEMO_LOGINS:
        click.echo(f"  {role:<16} login: {username:<12} password: {password:<24} {DEMO_NAMES[username]}")
    unit, name, tail = sample_owner()
    site = f"http://{host}:{port}"
    if closing_line:
        click.echo(closing_line)
    click.echo(
        f"to vote now as a demo owner (phone-sized browser): open {site}/demo/voters, pick an owner, vote;\n"
        f"  the receipt is checked in your browser; the home page {site}/ links the assemblies, turnout and results.\n"
        f"to try the owner's registration: log in as organiser, open 'QR letters', print the letter for unit {unit};\n"
        f"  open {site}/r, type the code printed on it, and confirm as {name} with ID ending {tail}"
    )
    with app.app_context():
        for line in demo_evaluation_lines(site):
            click.echo(line)
    if not no_serve:
        app.config["OWNERSVOTE_DEMO"] = True
        click.echo(f"OwnersVote at http://{host}:{port}/  (Ctrl+C to stop)")
        app.run(host=host, port=port, debug=False, use_reloader=False)
