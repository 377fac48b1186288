"""The sequencer: makes accepted ballots leaves, in batches on a clock, apart from any request
(RFC 6962's merge, after the signed promise).

Every ``OWNERSVOTE_SEQUENCER_EVERY`` seconds (1 by default) it takes each assembly that is voting,
makes the transitions that are due by the database's clock (the opening; the close, which
integrates what is left and seals the log) and integrates every ballot waiting, in random order,
under one signed tree head with the batch's audit events.  Every few minutes the same pass also
reminds supervisors of an organising body's term that is ending (webapp/bodies/reminders.py).
Exactly one sequencer integrates an assembly's log at a time (PostgreSQL's advisory lock; SQLite has one writer); one killed mid-batch
loses nothing, since the batch is one transaction and the ballots stay waiting.

Where it runs (``OWNERSVOTE_SEQUENCER``):

- ``thread``: a daemon thread of each web process (the default without Redis, so the demo and a
  one-machine install need nothing more); several processes may each run one: the lock decides;
- ``worker``: in ``ownersvote worker`` (the default with Redis);
- ``external``: only ``ownersvote sequencer``, a process of its own;
- ``off``: nowhere (tests call :func:`run_once`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import exists, select

from webapp.assemblies import lifecycle
from webapp.assemblies.models import Assembly
from webapp.bodies import reminders
from webapp.core import db as database
from webapp.core.db import db
from webapp.core.serverkey import KeyNotUsable
from webapp.voting import log as ballot_log
from webapp.voting.models import Ballot

MODES = ("thread", "worker", "external", "off")
log = logging.getLogger("ownersvote.sequencer")


def mode(app: Flask) -> str:
    chosen = app.config.get("OWNERSVOTE_SEQUENCER")
    if not chosen:
        redis = app.config.get("OWNERSVOTE_REDIS_URL")
        chosen = "off" if app.testing else ("worker" if redis else "thread")
    if chosen not in MODES:
        raise ValueError(f"OWNERSVOTE_SEQUENCER must be one of {', '.join(MODES)}, not {chosen!r}")
    return chosen


def every(app: Flask) -> float:
    return float(app.config.get("OWNERSVOTE_SEQUENCER_EVERY", 1.0))


@dataclass
class Pass:
    """What one pass did."""

    integrated: int = 0  # ballots made leaves
    batches: int = 0  # tree heads signed for them
    transitions: int = 0  # assemblies opened or closed
    reminders: int = 0  # organising bodies' terms whose supervisors were reminded of the end


def run_once() -> Pass:
    """One pass over the assemblies due or waiting (inside an app context; commits per
    assembly, so one that fails does not hold the others back)."""
    done = Pass()
    now = database.db_now()
    waiting = exists().where(Ballot.assembly_id == Assembly.id, Ballot.leaf_index.is_(None))
    ids = list(
        db.session.scalars(
            select(Assembly.id).where(
                ((Assembly.state == "notice") & (Assembly.opens_at <= now))
                | ((Assembly.state == "voting") & ((Assembly.closes_at <= now) | waiting))
            )
        )
    )
    db.session.commit()  # (ends the read; nothing was written)
    for assembly_id in ids:
        try:
            assembly = db.session.get(Assembly, assembly_id)
            if lifecycle.advance(assembly):
                done.transitions += 1
                db.session.commit()
            if assembly.state != "voting":
                continue
            batch = ballot_log.integrate_context(ballot_log.context_of(assembly), record_accepts=True, try_lead=True)
            if batch is ballot_log.NOT_LEADER or batch is None:
                db.session.commit()  # (nothing was written: another sequencer holds the log, or nothing waits)
                continue
            db.session.commit()
            done.integrated += len(batch.indices)
            done.batches += 1
        except KeyNotUsable as exc:  # this server's key may not sign: the ballots wait for a server whose key may
            db.session.rollback()
            log.error("sequencer: assembly %s: ballots stay waiting: %s", assembly_id, exc)
        except Exception:  # one assembly's failure must not stop the others' ballots
            db.session.rollback()
            log.exception("sequencer: assembly %s", assembly_id)
    # The same clock reminds supervisors of a term's end (换届), at most every few minutes.
    done.reminders = reminders.run_if_due()
    return done


# This process's sequencer: passes made and when the last one ended (time.monotonic()).
status = {"passes": 0, "last": None}


def run_forever(app: Flask, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            with app.app_context():
                run_once()
        except Exception:  # the database away for a moment: the next pass tries again
            log.exception("sequencer pass failed")
        status["passes"] += 1
        status["last"] = time.monotonic()
        # The pause is read again as it runs (an operator may change it in a running process).
        while not stop.is_set() and time.monotonic() - status["last"] < every(app):
            stop.wait(0.2)


_running: dict = {}
_lock = threading.Lock()


def start_thread(app: Flask) -> threading.Event | None:
    """The sequencer as a daemon thread of this process, for this app (once per process and app;
    again after a fork).  Returns the event that stops it, or None when it runs already."""
    key = (os.getpid(), id(app))
    if key in _running:  # every request asks: the common answer without the lock
        return None
    with _lock:
        if key in _running:
            return None
        stop = threading.Event()
        _running[key] = stop
    thread = threading.Thread(target=run_forever, args=(app, stop), name="ownersvote-sequencer", daemon=True)
    thread.start()
    return stop


def running() -> set:
    """The (process, app) pairs whose sequencer thread runs now."""
    with _lock:
        return set(_running)


def stop_threads(keys) -> None:
    """Stop these sequencer threads (keys as ``running()`` gives them); an app's next request
    starts its thread again.  For tests, whose apps come and go within one process."""
    with _lock:
        for key in keys:
            stop = _running.pop(key, None)
            if stop is not None:
                stop.set()
