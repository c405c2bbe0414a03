"""`make load`: participants opening their personal links, answering and editing against
gunicorn (gunicorn.conf.py) on PostgreSQL on loopback, then a check that every acknowledged
submission is stored with its final answers; once steady, once with SIGKILL sent to a worker.

    make load                                   200 participants, 60 s per round, a mean 2 s pause
                                                before each request (run.DEFAULT_THINK says why)
    LOAD_USERS=20 LOAD_SECONDS=10 make load     a quick check
    LOAD_WORKERS=4 LOAD_THINK=0 make load       4 workers; no pause: a stress test
    LOAD_ROUNDS=steady make load                one round only

Further knobs: LOAD_PEOPLE (members per round, default 10 per participant), LOAD_TIMEOUT
(seconds before a request counts as failed, default 60), TEST_DATABASE_URL (the PostgreSQL
server; a database of its own is created there and dropped afterwards). Exits 1 when a goal
is missed (0 errors, 0 lost, p95 under 1 s for every kind of request), naming which."""
