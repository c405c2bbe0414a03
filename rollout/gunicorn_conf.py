"""Gunicorn's settings for Rollout, inside the package so that an installed copy has them:
`gunicorn -c python:rollout.gunicorn_conf 'rollout:create_app()'`, or from the repository root
`gunicorn -c gunicorn.conf.py wsgi:app` (./gunicorn.conf.py imports this; gunicorn also reads it by
itself when started there). The same settings on every app host; anything here can be overridden per host by the environment variables named below, or by a
command-line flag (flags win over this file).

    WEB_CONCURRENCY   worker processes          default: 2 x CPUs + 1, at most 12
    GUNICORN_THREADS  threads per worker        default: 4 (gthread worker)
    GUNICORN_BIND     address(es), comma-separated   default: 0.0.0.0:$PORT, PORT default 8000
    GUNICORN_TIMEOUT  seconds without a heartbeat before a worker is killed   default: 60
    GUNICORN_ACCESSLOG  "-" (stdout), a file, or "" for none    default: "-"
    GUNICORN_MAX_REQUESTS  requests before a worker is replaced (0: never)   default: 5000
    GUNICORN_WORKER_CONNECTIONS  connections one worker holds at once   default: 2 x threads

Database connections: each worker holds at most `threads` connections at once (one per request
in flight; SQLAlchemy's pool keeps up to 5 idle), so a host needs about workers x threads of
PostgreSQL's max_connections (default 100): 5 x 4 = 20 per 2-CPU host, plus one for the scheduler.
"""
from __future__ import annotations

import os
import re

from gunicorn.glogging import Logger


def _number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as error:
        raise SystemExit(f"{name}={value!r}: expected a whole number") from error


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # what this process may use (a container's share), not the host's
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# A request is mostly waiting for PostgreSQL, so processes beyond the CPUs still help; past a
# dozen per host they only add connections and memory.
workers = _number("WEB_CONCURRENCY", min(2 * _cpus() + 1, 12))
# Threads (the gthread worker) let one worker wait on the database for several requests, and keep
# idle keep-alive connections off the worker's back. Flask, SQLAlchemy's scoped session, the chart
# code (matplotlib Figure + Agg, never pyplot) and Flask-Babel are thread-safe per request.
threads = _number("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"
bind = [address.strip() for address in os.environ.get(
    "GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}").split(",") if address.strip()]
# How many connections one worker holds at once: the requests its threads run, plus as many
# kept-alive ones waiting for their next request. Beyond that the worker stops accepting and
# connections wait in the kernel's queue (backlog), which every worker takes from. Kept small on
# purpose: a gthread worker accepts greedily, so with gunicorn's default of 1000 a busy worker sat
# on a queue of requests while another was idle (under `make load`, 200 participants: p95 38 s
# against 19 s with 16), and a worker that dies (a crash, the OOM killer, SIGKILL) resets every
# connection it holds, also those it had not begun to answer (74 cut off by one SIGKILL with
# 1000, 16 with 16; at most 2 x threads here).
worker_connections = _number("GUNICORN_WORKER_CONNECTIONS", 2 * threads)
backlog = 2048

# A worker that sends no heartbeat for `timeout` seconds is killed and replaced. Long work
# (large imports, starting a very large wave) belongs in a background job, not a request, so
# 60 s is a hang. (With threads the heartbeat comes from the worker's own loop: one slow request
# does not get its worker killed, a stuck worker does; the proxy's read timeout ends a client's
# wait.) On TERM (a deploy), a worker finishes the requests it has within `graceful_timeout`
# seconds before it is killed.
timeout = _number("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
# Keep-alive: a proxy in front reuses its connections to us. Keep it above the proxy's own idle
# timeout for upstream connections (nginx: `keepalive_timeout` in the upstream block, 4 s in the
# README's example), so the proxy, not gunicorn, closes an idle connection: a connection gunicorn
# closes just as the proxy sends on it would turn a request into a 502.
keepalive = 5

# Replace each worker after about 5000 requests (the jitter staggers them so that the workers of a
# host are not all restarted at once): a slow leak in any library cannot grow without bound. The
# replaced worker finishes its requests first; nothing in flight is lost. Not much more often:
# a new worker imports the app anew (next paragraph), about 4 s of CPU on this 2-CPU machine.
max_requests = _number("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max(max_requests // 10, 0)

# preload_app stays off. With it the master would import the app and create its SQLAlchemy
# engine before forking, and every worker would inherit that engine (and any connection it had
# opened, e.g. by a check at start-up): two processes on one PostgreSQL socket corrupt each
# other's sessions unless every worker disposes of the pool after the fork. Without preload each
# worker builds its own app and engine after the fork; `kill -HUP <master>` then also loads new
# code without dropping connections. The price: each worker imports the app itself (matplotlib,
# alembic, the OpenAPI document: about 4 s of CPU here, also when one is replaced after
# max_requests or a crash, while the other workers go on serving) and shares less memory, which
# Python's reference counting would unshare soon anyway.
preload_app = False

# X-Forwarded-For/-Proto/-Host from the proxy are read by the app (ROLLOUT_PROXY_FIX: how many
# proxies to trust), so gunicorn's own forwarded_allow_ips stays at its default.

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# the client (the proxy's X-Forwarded-For when there is one), the request with personal tokens
# masked, status, bytes, milliseconds, and the worker's pid (which worker served what, e.g. when
# one was killed)
access_log_format = ('%(h)s %({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms %(p)s')

# The personal link's token is the participant's credential: it must not end up in a log file.
_TOKEN_IN_PATH = re.compile(r"(^|\s)(/f/|/api/v1/feedback/)[^/?\s]+")


class TokenMaskingLogger(Logger):
    """gunicorn's logger, with /f/<token> and /api/v1/feedback/<token> written as <token>."""

    def atoms(self, resp, req, environ, request_time):  # noqa: ANN001, ANN201  (gunicorn's signature)
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):
            if isinstance(atoms.get(key), str):
                atoms[key] = _TOKEN_IN_PATH.sub(r"\1\2<token>", atoms[key])
        return atoms


logger_class = TokenMaskingLogger
