"""Pages of a list, written once (services.paging): the rows of one page in the query's order and
the count of all, in two queries, whatever the page asked for."""
from __future__ import annotations

from sqlalchemy import select

from rollout.extensions import db
from rollout.models import Person, ProblemReport, Wave
from rollout.services import paging

from . import builders
from .helpers import counting_queries


def test_a_page_has_its_rows_in_order_and_the_count_of_all_in_two_queries(ctx):
    builders.make_people(7, prefix="pg")
    ordered = select(Person).order_by(Person.external_id.desc())
    everyone = [p.external_id for p in db.session.scalars(ordered)]
    with counting_queries() as queries:
        first, total = paging.page_of(ordered, 1, 3)
    assert len(queries) == 2 and total == 7
    pages = [paging.page_of(ordered, page, 3)[0] for page in (1, 2, 3, 4)]
    assert [len(page) for page in pages] == [3, 3, 1, 0]
    assert [p.external_id for page in pages for p in page] == everyone
    assert paging.page_of(ordered, 0, 3)[0] == first  # page 0 or less is the first
    assert paging.offset_of(-5, 10) == 0 and paging.offset_of(3, 10) == 20


def test_rows_of_several_entities_come_as_rows(ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    db.session.add_all([ProblemReport(wave_id=pilot.id, category="printing", severity=severity, description="x")
                        for severity in ("blocker", "minor", "major")])
    db.session.commit()
    rows, total = paging.page_of(select(ProblemReport, Wave).join(Wave, Wave.id == ProblemReport.wave_id)
                                 .order_by(ProblemReport.id), 2, 2, rows=True)
    assert total == 3 and len(rows) == 1 and rows[0][0].severity == "major" and rows[0][1] == pilot
