"""Benchmark: QR letters for a whole estate through the background job, as an organiser gets them.

    .venv/bin/python bench/letters_job.py                          # 5,000 units, in-process thread
    .venv/bin/python bench/letters_job.py --units 1200
    .venv/bin/python bench/letters_job.py --runner rq --redis-url redis://127.0.0.1:6379/0

A generated registry (the demo's generator repeated over more buildings, as bench/registry.py
does) is imported into a fresh estate (SQLite in a temporary folder unless --database-url);
then the organiser's request starts the letters job for the whole estate, exactly as the
letters page does.  Prints how long that request took, the job's progress as it went, the time
from the click to a downloadable PDF, and the PDF's size.  With ``--runner rq`` an
``ownersvote worker --burst`` process runs the job.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--runner", choices=["thread", "rq"], default="thread")
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", default=os.environ.get("OWNERSVOTE_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="ov-bench-jobs-")
    os.environ["OWNERSVOTE_INSTANCE_PATH"] = folder
    url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
    queue_name = f"ownersvote-bench-{uuid.uuid4().hex[:8]}"

    from registry import registry_csv  # bench/registry.py

    from webapp import create_app
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db
    from webapp.core.migrate import upgrade
    from webapp.core.roles import Role
    from webapp.estates.operations import create_estate
    from webapp.jobs.models import Job
    from webapp.registry.importing import import_file

    upgrade(url)
    config = {"SQLALCHEMY_DATABASE_URI": url, "OWNERSVOTE_JOB_RUNNER": args.runner, "RATELIMIT_ENABLED": False}
    if args.runner == "rq":
        config.update(OWNERSVOTE_REDIS_URL=args.redis_url, OWNERSVOTE_JOB_QUEUE=queue_name)
    app = create_app(config)
    slug = f"bench{os.getpid()}"
    with app.app_context():
        data = registry_csv(args.units)
        started = time.perf_counter()
        estate = create_estate(slug, f"基准小区 {args.units}", actor="bench")
        import_file(estate, data, "registry.csv", actor="bench")
        user = create_staff(f"org-{slug}", "Organiser", "correct horse battery", actor="bench")
        assign_role(user, estate, Role.organiser, actor="bench")
        db.session.commit()
        print(f"{args.units} units imported into {db.engine.dialect.name} in {time.perf_counter() - started:.1f} s; runner: {args.runner}")

    client = app.test_client()

    def csrf() -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/").get_data(as_text=True)).group(1)

    client.post("/login", data={"username": f"org-{slug}", "password": "correct horse battery", "csrf_token": csrf()})
    token = csrf()
    clicked = time.perf_counter()
    response = client.post(f"/e/{slug}/letters", data={"building": "all", "csrf_token": token})
    request_s = time.perf_counter() - clicked
    assert response.status_code == 303, response.status_code
    job_url = response.headers["Location"]
    print(f"the request that starts the job: {request_s * 1000:.0f} ms ({response.status_code} to {job_url})")

    worker = None
    if args.runner == "rq":
        env = {**os.environ, "OWNERSVOTE_DATABASE_URL": url, "OWNERSVOTE_REDIS_URL": args.redis_url, "OWNERSVOTE_JOB_QUEUE": queue_name}
        worker = subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "worker", "--burst"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    last_message, status = None, {}
    while True:
        status = client.get(job_url + "/status").get_json()
        stage = re.sub(r"[\d,]+ (of|/) [\d,]+", "", status["message"] or "")
        if stage != last_message:
            print(f"  {time.perf_counter() - clicked:6.1f} s  {status['percent']:3d}%  {status['state']:<8} {status['message']}")
            last_message = stage
        if status["state"] in ("done", "failed"):
            break
        time.sleep(0.25)
    total_s = time.perf_counter() - clicked
    if worker is not None:
        worker.wait(timeout=600)
        from redis import Redis

        redis = Redis.from_url(args.redis_url)
        for key in redis.scan_iter(f"*{queue_name}*"):  # leave nothing of the bench in Redis
            redis.delete(key)
        redis.srem("rq:queues", f"rq:queue:{queue_name}")
    if status["state"] != "done":
        sys.exit(f"job failed: {status['error']}")
    with app.app_context():
        job = db.session.scalar(__import__("sqlalchemy").select(Job))
        run_s = (job.finished_at - job.started_at).total_seconds()
    pdf = client.get(status["download_url"]).data
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.units} letters: {total_s:.1f} s from the click to a downloadable PDF "
        f"(the job itself {run_s:.1f} s); {pages} pages, {len(pdf) / 2**20:.1f} MiB; "
        f"max RSS of this process {rss:.0f} MiB"
    )


if __name__ == "__main__":
    main()
