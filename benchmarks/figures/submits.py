"""Figure 1: feedback submits per second through the app under gunicorn (4 workers) against a
bare Flask + SQLAlchemy insert endpoint on the same server setup, database and clients.

The app's submit is `POST /api/v1/feedback/<token>` with a JSON body (what a participant's
phone or an integration sends); each request answers for another member until every member
has answered, then edits. PostgreSQL only: production's setup (SQLite has one writer).
Beside the ratio: the SQL statements, pool checkouts and commits of one submit (a new one and
an edit), counted in this process through the test client with SQLAlchemy event listeners."""
from __future__ import annotations

from ..bare_app import create_tables
from ..common import Row, Sizes, StatementCounter, fresh_database, make_app
from ..seed import feedback_wave, tokens_of
from ..servers import gunicorn, load

GOAL = 0.5
ANSWERS = {"satisfaction": 4, "worked_day_one": "yes", "information": 3, "hours_lost": 1,
           "went_well": "Snabb installation", "could_be_better": "Skrivaren på plan 3"}


def statements_per_submit(app, tokens: list[str]) -> tuple[str, str]:
    """(new submit, edit) as "N statements, M checkouts, K commits", through the test client."""
    from rollout.extensions import db
    with app.app_context():
        counter = StatementCounter(db.engine)
    client = app.test_client()
    found = []
    try:
        for token in (tokens[-1], tokens[-1]):  # the last member has not answered in the load run
            with counter.count():
                response = client.post(f"/api/v1/feedback/{token}", json={"answers": ANSWERS, "language": "sv"})
            assert response.status_code == 200, response.get_data(as_text=True)[:500]
            found.append(f"{counter.statements} statements, {counter.checkouts} checkouts, {counter.commits} commit")
    finally:
        counter.remove()
    return found[0], found[1]


def measure(backend: str, sizes: Sizes) -> Row:
    name = "1 submits/s: app / bare insert"
    goal = f">= {GOAL}"
    if backend != "postgresql":
        return Row.skipped(name, backend, "n/a (gunicorn on PostgreSQL only)")
    with fresh_database(backend, "submit") as url:
        app = make_app(url)
        with app.app_context():
            _rollout, wave = feedback_wave("submit", sizes.submit_people)
            tokens = tokens_of(wave)
        create_tables(url)
        # the last token is kept back for counting statements afterwards
        usable = tokens[:-1]

        def app_request(n: int) -> tuple[str, dict]:
            return f"/api/v1/feedback/{usable[n % len(usable)]}", {"answers": ANSWERS, "language": "sv"}

        def bare_request(n: int) -> tuple[str, dict]:
            return f"/submit/{usable[n % len(usable)]}", {"answers": ANSWERS, "language": "sv"}

        with gunicorn("wsgi:app", url, "/api/v1/health") as port:
            load(port, sizes.submit_clients, 2, lambda n: app_request(len(usable) - 1 - n))  # warm every worker
            through_app = load(port, sizes.submit_clients, sizes.submit_seconds, app_request)
        with gunicorn("benchmarks.bare_app:app", url, "/health") as port:
            load(port, sizes.submit_clients, 2, bare_request)
            bare = load(port, sizes.submit_clients, sizes.submit_seconds, bare_request)
        new, edit = statements_per_submit(app, tokens)
        with app.app_context():
            from rollout.extensions import db
            db.engine.dispose()
    ratio = through_app.per_second / bare.per_second if bare.per_second else None
    raw = f"app {through_app.per_second:.0f} vs bare {bare.per_second:.0f} req/s"
    notes = [f"app:  {through_app.summary()}", f"bare: {bare.summary()}",
             f"{sizes.submit_clients} client threads, {sizes.submit_seconds:.0f} s each, gunicorn -w 4 with gunicorn.conf.py (gthread, 4 threads), app and bare alike",
             f"per submit (in process): new {new}; edit {edit}; bare: 1 INSERT, 1 commit"]
    if through_app.errors or bare.errors:
        notes.append(f"statuses: app {through_app.statuses}, bare {bare.statuses}")
    return Row(name, backend, f"{sizes.submit_people} members", raw, ratio, goal,
               None if ratio is None else ratio >= GOAL, notes)
