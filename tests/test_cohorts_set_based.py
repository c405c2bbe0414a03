"""The set-based selection (stored buckets, one SQL query, one INSERT ... SELECT) chooses exactly
the people the Python algorithm it replaced chooses (tests/cohort_reference.py), on generated
directories and selections: explicit people, units, attributes, percentages, earlier waves
started, planned or cancelled, people added after the rollout was created and an external id
changed; in the same order on a page."""
from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import Bucket, Membership, Person
from rollout.models.types import utcnow
from rollout.services import buckets, cohorts, people

from . import builders, cohort_reference
from .test_properties_buckets import external_ids, free_names, rollout_keys

DB_SETTINGS = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
UNITS = ("Setunit A", "Setunit B")
SITES = ("A", "B")
NAMES = ("anna", "Anna", "Bo", "bo", "Cecilia", "david")

person_specs = st.tuples(st.sampled_from(NAMES), st.sampled_from((None, *UNITS)), st.sampled_from((None, *SITES)))
selections = st.fixed_dictionaries({
    "named": st.integers(0, 3),
    "units": st.lists(st.sampled_from(UNITS), max_size=2, unique=True),
    "sites": st.one_of(st.none(), st.lists(st.sampled_from((*SITES, "")), min_size=1, max_size=2, unique=True)),
    "percentage": st.one_of(st.none(), st.integers(1, 100)),
    "then": st.sampled_from(("plan", "start", "cancel")),
})


@st.composite
def directories(draw):
    ids = draw(st.lists(external_ids, min_size=3, max_size=30, unique_by=str.lower))
    specs = draw(st.lists(person_specs, min_size=len(ids), max_size=len(ids)))
    before = draw(st.integers(1, len(ids)))
    return draw(rollout_keys), list(zip(ids, specs, strict=True)), before


def _rows(directory) -> list[dict]:
    return [{"external_id": i, "name": name, "unit": unit or "",
             "email": f"{hashlib.sha256(i.encode()).hexdigest()[:16]}@example.se",
             "attributes": {"site": site} if site else {}} for i, (name, unit, site) in directory]


def _chosen(candidates) -> list[tuple[int, int, bool]]:
    return [(c.person_id, c.bucket, c.explicit) for c in candidates]


@DB_SETTINGS
@given(directory=directories(), plans=st.lists(selections, min_size=1, max_size=4), data=st.data())
def test_the_set_based_selection_chooses_what_the_python_algorithm_chose(ctx, lead, directory, plans, data):
    key, everyone, before = directory
    free_names([key], UNITS, [i for i, _ in everyone] + [f"{i}-renamed" for i, _ in everyone])
    # both units exist, so that any selection of them is valid
    people.upsert_people(_rows([(f"{key}-{u[-1]}", ("Unit", u, None)) for u in UNITS]), lead)
    people.upsert_people(_rows(everyone[:before]), lead)
    rollout = builders.make_rollout(key, lead=lead)
    if everyone[before:]:
        people.upsert_people(_rows(everyone[before:]), lead)  # after the rollout: topped up later
    renamed = db.session.scalar(select(Person).where(Person.external_id == everyone[0][0]))
    assert renamed is not None
    renamed.external_id = f"{renamed.external_id}-renamed"  # a new id, a new bucket
    db.session.commit()
    ids = [i for i, _ in everyone[1:]] + [renamed.external_id]
    waves = []
    for plan in plans:
        named = data.draw(st.lists(st.sampled_from(ids), max_size=plan["named"], unique=True))
        attributes = {"site": plan["sites"]} if plan["sites"] else {}
        if not (named or plan["units"] or attributes or plan["percentage"]):
            named = ids[:1]
        waves.append(builders.make_wave(rollout, lead, people=named, units=plan["units"], attributes=attributes,
                                        percentage=plan["percentage"]))
    for wave, plan in zip(waves, plans, strict=True):
        expected = cohort_reference.preview(wave)
        assert _chosen(cohorts.preview(wave)) == _chosen(expected)
        page, total = cohorts.preview_page(wave, page=2, per_page=3)
        assert total == len(expected) and _chosen(page) == _chosen(expected[3:6])
        assert cohorts.takes_anyone(wave) == bool(expected)
        if plan["then"] == "start":
            wave.state, wave.started_at = "active", utcnow()
            assert cohorts.fix_members(wave) == len(expected) == wave.members_count
            db.session.commit()
            fixed = db.session.execute(select(Membership.person_id, Membership.bucket, Membership.explicit)
                                       .where(Membership.wave_id == wave.id)).all()
            assert sorted((p, b, bool(e)) for p, b, e in fixed) == sorted(_chosen(expected))
        elif plan["then"] == "cancel":
            wave.state = "cancelled"
            db.session.commit()
    # the buckets stored are Unleash's, for everyone, from their external id as it is now
    stored = dict(db.session.execute(select(Bucket.person_id, Bucket.value).where(Bucket.rollout_id == rollout.id)).all())
    directory_now = dict(db.session.execute(select(Person.id, Person.external_id)).all())
    assert stored == {p: buckets.bucket(key, e) for p, e in directory_now.items()}


def test_a_start_in_steps_reports_its_progress_and_fixes_the_same_people(ctx):
    builders.make_people(120, unit="Bygglov")
    rollout = builders.make_rollout()
    wave = builders.make_wave(rollout, people=["p7"], units=["Bygglov"], percentage=35)
    expected = _chosen(cohort_reference.preview(wave))
    reported = []
    wave.started_at = utcnow()
    assert cohorts.fix_members(wave, progress=lambda done, steps: reported.append((done, steps))) == len(expected)
    assert reported == [(n, 11) for n in range(1, 12)]
    fixed = db.session.execute(select(Membership.person_id, Membership.bucket, Membership.explicit)
                               .where(Membership.wave_id == wave.id)).all()
    assert sorted((p, b, bool(e)) for p, b, e in fixed) == sorted(expected)


def test_people_imported_after_the_rollout_get_their_bucket_before_a_preview(ctx):
    builders.make_people(10)
    rollout = builders.make_rollout()
    assert db.session.scalar(select(db.func.count()).select_from(Bucket)) == 10  # written at creation
    wave = builders.make_wave(rollout, percentage=100)
    builders.make_people(5, prefix="n")
    assert {c.external_id for c in cohorts.preview(wave)} == {f"p{i}" for i in range(1, 11)} | {
        f"n{i}" for i in range(1, 6)}


def test_people_added_and_removed_by_straight_sql_are_seen_by_the_next_preview(ctx, lead):
    """Whether a bucket is missing is two counts (on PostgreSQL kept by triggers): a person written
    by SQL outside the app, and one deleted so, are counted, and the preview takes the new one."""
    from sqlalchemy import delete, func, insert

    from rollout.models import Wave
    people.upsert_people(builders.person_rows(4, unit="Setunit A", prefix="sql"), None)
    rollout = builders.make_rollout("sql-2027", lead)
    wave = builders.make_wave(rollout, lead, units=["Setunit A"])
    db.session.commit()
    assert buckets.shortfall(rollout.id) == 0 and cohorts.preview_count(wave) == 4
    unit_id = db.session.scalar(select(Person.unit_id).where(Person.external_id == "sql1"))
    db.session.execute(insert(Person).values(external_id="sql-new", name="Ny", email="ny@example.se", unit_id=unit_id,
                                             language="sv", attributes={}, search_text="", created_at=utcnow(),
                                             updated_at=utcnow()))
    gone = db.session.scalar(select(Person.id).where(Person.external_id == "sql2"))
    if db.engine.dialect.name != "postgresql":  # SQLite enforces no foreign keys: the SQL deletes what cascades
        db.session.execute(delete(Bucket).where(Bucket.person_id == gone))
    db.session.execute(delete(Person).where(Person.id == gone))
    db.session.commit()
    assert buckets.shortfall(rollout.id) == 1  # the new one lacks a bucket; the one gone is not counted
    wave = db.session.get(Wave, wave.id)
    assert cohorts.preview_count(wave) == 4  # sql1, sql3, sql4 and the new one
    db.session.commit()
    assert buckets.shortfall(rollout.id) == 0
    stored = db.session.scalar(select(func.count()).select_from(Bucket).where(Bucket.rollout_id == rollout.id))
    assert stored == 4
