"""APScheduler wiring for the reconcile tick and the background jobs' poll. Both are thin calls
into services (reconcile, jobs); which process runs them is decided here:

- `make run`: inside the web process (ROLLOUT_SCHEDULER_IN_PROCESS=true);
- production: one `flask --app wsgi rollout scheduler` process. On PostgreSQL it
  holds an advisory lock, so a second scheduler started by mistake stays idle in its ticks;
  any scheduler runs background jobs (services.jobs: a claimed job is one runner's alone).
"""
from __future__ import annotations

import atexit
import logging
from typing import Optional

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import Connection, text

from .extensions import db
from .models.types import utcnow

log = logging.getLogger("rollout.scheduler")
LOCK_KEY = 0x526F6C6C  # "Roll": one scheduler per database
JOBS_POLL_SECONDS = 2  # how often a scheduler looks for queued jobs (and jobs whose runner died)


def run_jobs(app: Flask) -> int:
    """Run the queued background jobs; the number run."""
    from .services import jobs
    with app.app_context():
        try:
            return jobs.run_pending()
        except Exception:  # noqa: BLE001  (a failed poll must not stop the next one)
            log.exception("running background jobs failed; the next poll tries again")
            db.session.rollback()
            return 0
        finally:
            db.session.remove()


def _add_jobs_poll(scheduler: BackgroundScheduler | BlockingScheduler, app: Flask) -> None:
    scheduler.add_job(run_jobs, "interval", seconds=int(app.config.get("JOBS_POLL_INTERVAL", JOBS_POLL_SECONDS)),
                      args=[app], id="jobs", coalesce=True, max_instances=1, next_run_time=utcnow())


def run_tick(app: Flask) -> Optional[dict]:
    from .services import reconcile
    with app.app_context():
        try:
            report = reconcile.tick().as_dict()
            if any(report.values()):
                log.info("tick: %s", {k: v for k, v in report.items() if v})
            return report
        except Exception:  # noqa: BLE001  (a failed tick must not stop the next one)
            log.exception("the reconcile tick failed; the next tick tries again")
            db.session.rollback()
            return None
        finally:
            db.session.remove()


def init_app(app: Flask) -> None:
    if not app.config.get("SCHEDULER_IN_PROCESS") or not app.config.get("SCHEDULER_INTERVAL"):
        return
    scheduler = BackgroundScheduler(daemon=True, timezone="UTC")
    scheduler.add_job(run_tick, "interval", seconds=int(app.config["SCHEDULER_INTERVAL"]), args=[app],
                      id="reconcile", coalesce=True, max_instances=1, next_run_time=utcnow())
    _add_jobs_poll(scheduler, app)
    scheduler.start()
    app.extensions["rollout_scheduler"] = scheduler
    atexit.register(lambda: scheduler.running and scheduler.shutdown(wait=False))  # unless stopped already


class SingleScheduler:
    """The job of the stand-alone scheduler: tick only while holding the lock."""

    def __init__(self, app: Flask):
        self.app = app
        self.connection: Optional[Connection] = None
        self.holding = False

    def _hold_lock(self) -> bool:
        with self.app.app_context():
            engine = db.engine
            if engine.dialect.name != "postgresql":
                return True  # SQLite is one host's file: one scheduler by construction
            if self.holding and self._still_held():
                return True
            if self.connection is None:
                self.connection = engine.connect()
            self.holding = bool(self.connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                                        {"key": LOCK_KEY}).scalar())
            self.connection.commit()
            if not self.holding:
                log.info("another scheduler holds the lock; this one stays idle")
            return self.holding

    def _still_held(self) -> bool:
        """Checked before every tick: a dropped connection (a restarted database, a network
        cut, a terminated backend) releases the lock, and another scheduler may have taken it."""
        try:
            assert self.connection is not None  # holding: _hold_lock connected
            held = bool(self.connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                " AND classid = 0 AND objid = :key AND objsubid = 1 AND granted"), {"key": LOCK_KEY}).scalar())
            self.connection.commit()
        except Exception:  # noqa: BLE001  (any failure of the connection means the lock is gone)
            held = False
        if not held:
            log.warning("this scheduler lost its lock; it stops ticking until it holds the lock again")
            self.release()
        return held

    def release(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001  (closing a dead connection)
                pass
        self.connection, self.holding = None, False

    def __call__(self) -> Optional[dict]:
        if not self._hold_lock():
            return None
        return run_tick(self.app)


def run_forever(app: Flask, interval: int) -> None:
    job = SingleScheduler(app)
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(job, "interval", seconds=interval, id="reconcile", coalesce=True, max_instances=1,
                      next_run_time=utcnow())
    _add_jobs_poll(scheduler, app)
    log.info("scheduler started: a tick every %s s, background jobs looked for every %s s", interval,
             app.config.get("JOBS_POLL_INTERVAL", JOBS_POLL_SECONDS))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
