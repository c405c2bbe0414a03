"""What `make test` decides to run: on a developer's machine it skips what the machine lacks and
says so; in CI (CI set to anything) a missing PostgreSQL or Chromium is a failure, not a skip."""
from __future__ import annotations

import pytest

from .run_all import DEFAULT_PG, in_ci, plan

ELSEWHERE = "postgresql+psycopg://postgres@db.example:6543/test"


def labels(decided) -> list[str]:
    return [label for label, _ in decided.runs]


def test_with_everything_there_both_databases_run_and_nothing_is_skipped():
    for env in ({}, {"CI": "true"}):
        decided = plan(env, postgres_answers=True, chromium_found=True)
        assert labels(decided) == ["SQLite", "PostgreSQL"]
        assert decided.runs[1][1] == {"TEST_DATABASE_URL": DEFAULT_PG}
        assert decided.skipped == [] and decided.missing == []


def test_the_postgresql_run_uses_test_database_url():
    decided = plan({"TEST_DATABASE_URL": ELSEWHERE}, postgres_answers=True, chromium_found=True)
    assert decided.runs[1] == ("PostgreSQL", {"TEST_DATABASE_URL": ELSEWHERE})


def test_without_ci_a_machine_without_postgresql_runs_sqlite_and_says_what_it_skipped():
    decided = plan({"TEST_DATABASE_URL": ELSEWHERE}, postgres_answers=False, chromium_found=False)
    assert labels(decided) == ["SQLite"] and decided.missing == []
    assert [what for what, _ in decided.skipped] == ["the browser tests", "the PostgreSQL run"]
    assert ELSEWHERE in decided.skipped[1][1]


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_a_missing_postgresql_or_chromium_fails_instead_of_skipping(ci):
    no_postgres = plan({"CI": ci}, postgres_answers=False, chromium_found=True)
    assert [what for what, _ in no_postgres.missing] == ["the PostgreSQL run"] and no_postgres.skipped == []
    assert DEFAULT_PG in no_postgres.missing[0][1]
    no_chromium = plan({"CI": ci}, postgres_answers=True, chromium_found=False)
    assert [what for what, _ in no_chromium.missing] == ["the browser tests"] and no_chromium.skipped == []


def test_only_a_non_empty_ci_counts():
    assert in_ci({"CI": "true"}) and in_ci({"CI": "1"})
    assert not in_ci({}) and not in_ci({"CI": ""}) and not in_ci({"CI": "  "})
