"""Properties of who is in a wave (rollout/services/cohorts.py) on generated rollout keys and
external ids: the bucket is Unleash's murmur3 (checked against a reference written out here),
in 1..100, roughly uniform, and a selection takes exactly the people whose bucket fits --
whatever the order they were imported in, whoever else is added, and growing the percentage
only ever adds people."""
from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from typing import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats
from sqlalchemy import select, update

from rollout.extensions import db
from rollout.models import Membership, Person, Rollout, Unit
from rollout.services import cohorts, people, waves

from . import builders

SETTINGS = settings(max_examples=200, derandomize=True, deadline=None, database=None)
# The database examples share the test's database; each frees the names it uses (free_names).
DB_SETTINGS = settings(max_examples=20, derandomize=True, deadline=None, database=None,
                       suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

rollout_keys = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?", fullmatch=True)
external_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@+-]{0,20}", fullmatch=True)
percentages = st.integers(1, 100)

MASK = 0xFFFFFFFF


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & MASK


def murmur3_x86_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit, written from Austin Appleby's reference (MurmurHash3.cpp)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & MASK
    whole = len(data) - len(data) % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        h ^= (_rotl((k * c1) & MASK, 15) * c2) & MASK
        h = (_rotl(h, 13) * 5 + 0xE6546B64) & MASK
    if len(data) % 4:
        k = int.from_bytes(data[whole:], "little")
        h ^= (_rotl((k * c1) & MASK, 15) * c2) & MASK
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK
    return h ^ (h >> 16)


@pytest.mark.parametrize("data,seed,expected", [
    # the usual published test vectors of MurmurHash3_x86_32
    (b"", 0, 0), (b"", 1, 0x514E28B7), (b"", 0xFFFFFFFF, 0x81F16F39), (b"\0\0\0\0", 0, 0x2362F9DE),
    (b"aaaa", 0x9747B28C, 0x5A97808A), (b"abc", 0, 0xB3DD93FA), (b"Hello, world!", 0x9747B28C, 0x24884CBA),
    (b"The quick brown fox jumps over the lazy dog", 0x9747B28C, 0x2FA826CD),
])
def test_the_reference_hash_reproduces_the_published_vectors(data, seed, expected):
    assert murmur3_x86_32(data, seed) == expected


@SETTINGS
@given(st.one_of(rollout_keys, st.text(max_size=40)), st.one_of(external_ids, st.text(max_size=40)))
def test_the_bucket_is_unleashs_normalised_murmur3(group_id, identifier):
    """DESIGN: murmur3_x86_32("key:external_id", seed 0, unsigned) % 100 + 1 (the text as UTF-8),
    so a feature flag with the same group id and percentage targets the same people."""
    value = cohorts.bucket(group_id, identifier)
    assert value == murmur3_x86_32(f"{group_id}:{identifier}".encode(), 0) % 100 + 1
    assert 1 <= value <= 100 and isinstance(value, int)
    assert cohorts.bucket(group_id, identifier) == value  # the same person, the same bucket, every time


@SETTINGS
@given(st.integers(1, 100), percentages, percentages)
def test_a_percentage_takes_its_buckets_and_a_larger_one_takes_more(value, smaller, larger):
    smaller, larger = sorted((smaller, larger))
    assert cohorts.in_percentage(value, 100)
    assert not cohorts.in_percentage(value, 0)
    assert sum(cohorts.in_percentage(b, smaller) for b in range(1, 101)) == smaller  # exactly p of 100 buckets
    if cohorts.in_percentage(value, smaller):
        assert cohorts.in_percentage(value, larger)


# A bound with a false alarm probability of 1e-7 per example: with fixed examples it cannot flake,
# and across every Hypothesis version's choice of keys it would take millions of runs to.
PEOPLE = 5000
CHI_SQUARE_LIMIT = float(scipy_stats.chi2.isf(1e-7, 99))


@settings(SETTINGS, max_examples=12)
@given(rollout_keys, st.from_regex(r"[a-z]{0,4}", fullmatch=True), st.lists(percentages, min_size=1, max_size=5))
def test_buckets_are_roughly_uniform(key, prefix, checked):
    """5000 people with numbered ids (e1, e2, ... for some prefix): every bucket gets its share,
    and a percentage takes about that share of them (only a 1-in-10-million deviation fails)."""
    counts = Counter(cohorts.bucket(key, f"{prefix}{i}") for i in range(1, PEOPLE + 1))
    expected = PEOPLE / 100
    chi_square = sum((counts.get(b, 0) - expected) ** 2 / expected for b in range(1, 101))
    assert chi_square < CHI_SQUARE_LIMIT
    for percentage in checked:
        taken = sum(counts[b] for b in range(1, percentage + 1))
        p = percentage / 100
        if percentage < 100:
            low, high = scipy_stats.binom.interval(1 - 1e-7, PEOPLE, p)
            assert low <= taken <= high
        else:
            assert taken == PEOPLE


# --- selections in the database ----------------------------------------------------------------

UNIT = "Unit"


def free_names(keys: Iterable[str] = (), units: Iterable[str] = (), external_ids: Iterable[str] = ()) -> None:
    """Rename what an earlier example left under these names, so that this one can have them:
    an example then has the same rollout key and ids -- so the same buckets -- on every replay,
    as Hypothesis needs, without emptying the database each time."""
    stamp = f"-{uuid.uuid4().hex[:8]}"
    for column, names in ((Rollout.key, keys), (Unit.name, units), (Person.external_id, external_ids)):
        if names := list(names):
            db.session.execute(update(column.class_).where(column.in_(names)).values({column: column + stamp})
                               .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expire_all()


def _import(ids: list[str], unit: str) -> None:
    people.upsert_people([{"external_id": i, "name": f"Person {i}", "unit": unit,
                           "email": f"{hashlib.sha256(i.encode()).hexdigest()[:20]}@example.se"} for i in ids], None)


def _ids(candidates) -> set[str]:
    return {c.external_id for c in candidates}


@st.composite
def populations(draw):
    """A rollout key, the people of a unit in the order they are imported, and others added later."""
    everyone = draw(st.lists(external_ids, min_size=2, max_size=45, unique_by=str.lower))
    first_import = draw(st.integers(1, len(everyone) - 1))
    return draw(rollout_keys), draw(st.permutations(everyone[:first_import])), everyone[first_import:]


@DB_SETTINGS
@given(population=populations(), first=percentages, second=percentages)
def test_a_selection_takes_exactly_the_people_whose_bucket_fits(ctx, lead, population, first, second):
    key, ids, later = population
    first, second = sorted((first, second))
    free_names([key], [UNIT], ids + later)
    unit = UNIT
    _import(ids, unit)
    rollout = builders.make_rollout(key, lead=lead)
    wave = builders.make_wave(rollout, lead, units=[unit], percentage=first)

    def fits(people_ids, percentage):
        return {i for i in people_ids if cohorts.bucket(key, i) <= percentage}

    assert _ids(cohorts.preview(wave)) == fits(ids, first)
    _import(later, unit)  # the directory grows: nobody already chosen drops out, nobody is reshuffled
    assert _ids(cohorts.preview(wave)) == fits(ids + later, first)
    waves.update_wave(wave, {"name": wave.name, "selection": {"units": [unit], "percentage": second}}, lead)
    grown = _ids(cohorts.preview(wave))
    assert grown == fits(ids + later, second) and grown >= fits(ids + later, first)


@DB_SETTINGS
@given(population=populations(), first=percentages, second=percentages)
def test_later_waves_take_the_next_buckets_and_started_waves_keep_their_members(ctx, lead, population,
                                                                               first, second):
    key, ids, later = population
    first, second = sorted((first, second))
    free_names([key], [UNIT], ids + later)
    unit = UNIT
    _import(ids, unit)
    rollout = builders.make_rollout(key, lead=lead)
    pilot = builders.make_wave(rollout, lead, units=[unit], percentage=first)
    wave1 = builders.make_wave(rollout, lead, units=[unit], percentage=second)
    everyone = set(ids)
    in_pilot = {i for i in everyone if cohorts.bucket(key, i) <= first}
    in_wave1 = {i for i in everyone if first < cohorts.bucket(key, i) <= second}
    assert (_ids(cohorts.preview(pilot)), _ids(cohorts.preview(wave1))) == (in_pilot, in_wave1)
    if not in_pilot:
        return  # a wave that takes nobody cannot start (tests/test_cohorts.py)
    waves.transition(pilot, "active", lead)
    _import(later, unit)
    members = set(db.session.scalars(select(Person.external_id).join(Membership, Membership.person_id == Person.id).where(
        Membership.wave_id == pilot.id)))
    assert members == in_pilot and pilot.members_count == len(in_pilot)
    # people added after the pilot started go to the next wave if their bucket fits it, never the pilot
    assert _ids(cohorts.preview(wave1)) == in_wave1 | {i for i in later if cohorts.bucket(key, i) <= second}

