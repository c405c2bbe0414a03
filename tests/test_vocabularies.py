"""One source per vocabulary: the models' StrEnums make the CHECK constraints (in the words the
migrations wrote, so no migration follows), the forms' choices, the filters and the labels."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import CheckConstraint

from rollout.extensions import db
from rollout.models import (
    CARD_KINDS,
    DECISIONS,
    LESSON_STATUSES,
    PROBLEM_STATUSES,
    QUESTION_KINDS,
    ROLES,
    SEVERITIES,
    WAVE_STATES,
    CardKind,
    DecisionKind,
    JobState,
    LessonStatus,
    NotificationKind,
    NotificationStatus,
    ProblemStatus,
    QuestionKind,
    Role,
    Severity,
    Verdict,
    WaveState,
)
from rollout.models.vocabularies import labelled

# (table, CHECK constraint's name) -> the vocabulary it keeps the column in
CHECKED = {
    ("waves", "ck_waves_state"): WaveState, ("decisions", "ck_decisions_decision"): DecisionKind,
    ("decisions", "ck_decisions_verdict"): Verdict, ("rollout_roles", "ck_rollout_roles_role"): Role,
    ("questions", "ck_questions_kind"): QuestionKind, ("problem_reports", "ck_problem_reports_severity"): Severity,
    ("problem_reports", "ck_problem_reports_status"): ProblemStatus, ("retro_cards", "ck_retro_cards_kind"): CardKind,
    ("lessons", "ck_lessons_status"): LessonStatus, ("notifications", "ck_notifications_status"): NotificationStatus,
    ("jobs", "ck_jobs_state"): JobState,
}


def quoted(sql: str) -> list[str]:
    """The string literals of a constraint's SQL, as SQLite or PostgreSQL gives it back."""
    return re.findall(r"'([^']*)'", sql)


def test_every_check_constraint_lists_its_vocabulary_in_order():
    found = {(table.name, c.name): str(c.sqltext) for table in db.metadata.tables.values()
             for c in table.constraints if isinstance(c, CheckConstraint)}
    for (table, name), vocabulary in CHECKED.items():
        column = name.removeprefix(f"ck_{table}_")
        assert found[(table, name)] == f"{column} IN ({', '.join(repr(str(m)) for m in vocabulary)})"
        assert quoted(found[(table, name)]) == list(vocabulary)


def test_the_migrated_database_checks_the_same_values(app):
    """What the migrations (or create_all in the tests) built keeps each column within its vocabulary."""
    from sqlalchemy import inspect
    with app.app_context():
        inspector = inspect(db.engine)
        for (table, name), vocabulary in CHECKED.items():
            constraints = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table)}
            assert set(quoted(constraints[name])) == set(vocabulary), (table, name)


def test_the_old_tuples_are_the_enums_and_compare_as_their_strings():
    for names, vocabulary in ((WAVE_STATES, WaveState), (DECISIONS, DecisionKind), (ROLES, Role),
                              (QUESTION_KINDS, QuestionKind), (SEVERITIES, Severity),
                              (PROBLEM_STATUSES, ProblemStatus), (CARD_KINDS, CardKind),
                              (LESSON_STATUSES, LessonStatus)):
        assert names == tuple(vocabulary) and all(isinstance(name, str) for name in names)
    assert WaveState.REVIEW == "review" and "review" in WAVE_STATES and f"{LessonStatus.OPEN}" == "open"


def test_labels_name_every_member_and_nothing_else():
    assert list(labelled(Severity, {"minor": 3, "blocker": 1, "major": 2})) == ["blocker", "major", "minor"]
    with pytest.raises(ValueError):
        labelled(Severity, {"blocker": 1, "major": 2})
    with pytest.raises(ValueError):
        labelled(Severity, {"blocker": 1, "major": 2, "minor": 3, "urgent": 4})


def test_every_label_and_choice_comes_from_its_vocabulary(app):
    from rollout.forms import QUESTION_KIND_CHOICES, DecisionForm, RoleForm, TriageForm
    from rollout.forms.retro import kind_choices
    from rollout.services import feedback, lessons, notify, retro, waves
    from rollout.views import admin, problems
    with app.test_request_context():
        assert [c.value for c in QUESTION_KIND_CHOICES] == list(QuestionKind)
        assert [c.value for c in kind_choices()] == list(CardKind) == list(retro.KIND_LABELS)
        assert [value for value, *_rest in DecisionForm(meta={"csrf": False}).decision.choices] == list(DecisionKind)
        assert [value for value, *_rest in RoleForm(meta={"csrf": False}).role.choices] == list(Role)
        assert [value for value, *_rest in TriageForm(meta={"csrf": False}).status.choices] == list(ProblemStatus)
        assert list(feedback.SEVERITY_LABELS) == list(Severity) == list(problems.severity_labels())
        assert list(problems.status_labels()) == list(ProblemStatus)
        assert list(notify.kind_labels()) == list(NotificationKind) == list(admin.message_kinds())
        assert list(admin.message_statuses()) == list(NotificationStatus)
        assert all(lessons.status_label(status) != status for status in LessonStatus)
        assert all(waves.state_label(state) != state for state in WaveState)
        assert all(waves.verdict_label(verdict) != verdict for verdict in Verdict)


def test_the_outbox_filter_offers_every_kind_of_message(client, auth, admin):
    client.get("/language/en")
    auth.login(admin.email)
    page = client.get("/admin/outbox").get_data(as_text=True)
    select = page[page.index('<select id="kind"'):]
    offered = re.findall(r'<option value="([a-z_]+)"', select[:select.index("</select>")])
    assert offered == list(NotificationKind) and "lesson_owner" in offered
