"""Figure 6: the invitation tick. A wave of N members opens for feedback (links made by the
app's transition, untimed), then one reconcile tick is timed: it writes one invitation per
member and, with no MAIL_SERVER, moves them to the outbox. The time per invitation is
extrapolated linearly to a wave of INVITATION_GOAL (said so in the table: no wave of that
size is invited here). "Committed in batches": the most invitations written between two
commits is at most BATCH_GOAL. That is counted in the database: at every commit the rows of
`notifications` are counted on the committing connection (its DBAPI cursor, so neither the
statement counter nor the app sees it; the time it takes is left out of the tick's). Counting
statements or their parameters would depend on how the rows are sent (one statement per row,
multi-row VALUES, or an INSERT ... SELECT of a whole batch)."""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..common import Row, Sizes, StatementCounter, fresh_database, make_app
from ..seed import feedback_wave

INVITATION_GOAL = 50_000
SECONDS_GOAL = 60.0
BATCH_GOAL = 1_000


class RowsBetweenCommits(StatementCounter):
    """StatementCounter, and the most rows `table` gained between two commits while counting."""

    def __init__(self, engine: Engine, table: str) -> None:
        super().__init__(engine)
        self.table, self.rows, self.largest_batch, self.counting_seconds = table, 0, 0, 0.0
        event.listen(engine, "commit", self._rows_at_commit)

    def _rows_at_commit(self, conn: Any) -> None:
        if not self.counting:
            return
        start = time.perf_counter()
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(f"SELECT count(*) FROM {self.table}")
            rows = cursor.fetchone()[0]
        finally:
            cursor.close()
        self.largest_batch = max(self.largest_batch, rows - self.rows)
        self.rows = rows
        self.counting_seconds += time.perf_counter() - start

    def remove(self) -> None:
        event.remove(self.engine, "commit", self._rows_at_commit)
        super().remove()


def measure(backend: str, sizes: Sizes) -> Row:
    name = "6 invitation tick: 50,000 within 60 s"
    n = sizes.invitations
    with fresh_database(backend, "invite") as url:
        app = make_app(url)
        from rollout.extensions import db
        from rollout.services import reconcile
        with app.app_context():
            feedback_wave("invite", n)
            counter = RowsBetweenCommits(db.engine, "notifications")
        with app.test_request_context():
            with counter.count():
                start = time.perf_counter()
                report = reconcile.tick()
                seconds = time.perf_counter() - start - counter.counting_seconds
            commits, statements, largest = counter.commits, counter.statements, counter.largest_batch
            assert counter.rows == n, f"{counter.rows:,} invitations counted, {n:,} written"  # the count counts
            counter.remove()
            db.session.remove()
            db.engine.dispose()
    assert report.invitations == n and report.outbox == n, report
    per_invitation = seconds / n
    projected = per_invitation * INVITATION_GOAL
    ratio = projected / SECONDS_GOAL
    raw = (f"{1000 * per_invitation:.1f} ms each ({seconds:.1f} s for {n:,}); "
           f"{INVITATION_GOAL:,} ~ {projected:.0f} s")
    notes = [f"extrapolated linearly from {n:,} invitations; ratio = projected time / {SECONDS_GOAL:.0f} s",
             f"{statements:,} statements, {commits} commits in the tick; at most {largest:,} invitations "
             f"written in one transaction (goal: batches of <= {BATCH_GOAL:,})"]
    if largest == n:
        notes.append("the whole wave's invitations were written in one transaction"
                     + (f" (at {n:,} members that is within a batch: the check tells only from "
                        f"{BATCH_GOAL + 1:,} on)" if n <= BATCH_GOAL else ""))
    return Row(name, backend, f"{n:,} members", raw, ratio, f"<= 1 (60 s), batches <= {BATCH_GOAL:,}",
               projected <= SECONDS_GOAL and largest <= BATCH_GOAL, notes)
