"""Answer tallies: a wave's results read per-question aggregates kept with the answers. They must
say what aggregating every answer says, for every kind of question, through submits, edits,
bulk rows, purges and erasure, hidden or not; and a submit stays a handful of statements."""
from __future__ import annotations

import math
import threading

import pytest
from sqlalchemy import case, event, func, select, text

from rollout.extensions import db
from rollout.models import Answer, AnswerTally, FeedbackLink, Person, Questionnaire, Wave
from rollout.models.types import utcnow
from rollout.services import feedback, privacy, questionnaires, results, retention, tallies, waves
from rollout.services.results import QuestionResult, _ordered, _scale, within_scale
from rollout.services.stats import mean_interval, wilson

from . import builders
from .conftest import fresh_postgres_database, make_app
from .helpers import counting_queries


def _option(value: str) -> dict:
    return {"value": value, "sv": value.upper(), "en": value.title()}


def _question(code: str, kind: str, **extra) -> dict:
    return {"code": code, "kind": kind, "prompt": {"sv": f"{code}?", "en": f"{code}?"}, "required": False,
            "options": [], **extra}


EVERY_KIND = [
    _question("satisfaction", "rating"),
    _question("recommend", "nps"),
    _question("hours_lost", "number", min=0, max=100),
    _question("worked_day_one", "yes_no"),
    _question("printer", "choice", options=[_option("ok"), _option("slow"), _option("broken")]),
    _question("missing", "multi", options=[_option("mail"), _option("files"), _option("vpn"), _option("print")]),
    _question("went_well", "text"),
]


def every_kind_wave(lead, n: int, *, key: str = "tally-2027", anonymous: bool = False):
    builders.make_people(n, prefix=f"{key[:3]}p")
    rollout = builders.make_rollout(key, lead=lead, anonymous=anonymous)
    questionnaires.save(rollout, EVERY_KIND, lead)
    wave = builders.make_wave(rollout, lead, percentage=100)
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    db.session.commit()
    return rollout, wave


def tokens(wave) -> list[str]:
    return [feedback.link_url(link).rsplit("/", 1)[1]
            for link in db.session.scalars(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id)
                                           .order_by(FeedbackLink.person_id))]


def answers_of(i: int) -> dict:
    """The i-th person's answers: every kind, some left out, numbers that do not add up exactly in floats."""
    answers: dict = {"satisfaction": 1 + i % 5, "recommend": (i * 3) % 11, "hours_lost": [0.1, 2.7, 1, 0, 12.35][i % 5],
                     "worked_day_one": "yes" if i % 3 else "no", "printer": ["ok", "slow", "broken"][i % 3],
                     "missing": [["mail"], ["files", "vpn"], [], ["mail", "vpn", "print"]][i % 4],
                     "went_well": "" if i % 2 else f"Det gick bra {i}"}
    if i % 4 == 3:
        del answers["recommend"], answers["printer"]
    return answers


# --- the reference: results.py's aggregation over every answer, as it was before the tallies ------

def reference_questions(wave: Wave) -> dict:
    """{code: QuestionResult.as_dict()} aggregated over the answers table, as results.py did."""
    questionnaire = db.session.get(Questionnaire, wave.questionnaire_id)
    hidden = results.answers_hidden(wave)
    numbers = {row.code: row for row in db.session.execute(
        select(Answer.code, func.count(Answer.number).label("n"), func.sum(Answer.number).label("total"),
               func.sum(Answer.number * Answer.number).label("squares"),
               func.sum(case((Answer.number >= 4, 1), else_=0)).label("high"),
               func.sum(case((Answer.number >= 9, 1), else_=0)).label("promoters"),
               func.sum(case((Answer.number <= 6, 1), else_=0)).label("detractors"))
        .where(Answer.wave_id == wave.id, Answer.number.is_not(None)).group_by(Answer.code))}
    distribution: dict[str, dict[str, int]] = {}
    for code, option, number, count in db.session.execute(
            select(Answer.code, Answer.option, Answer.number, func.count())
            .where(Answer.wave_id == wave.id, Answer.text.is_(None))
            .group_by(Answer.code, Answer.option, Answer.number)):
        key = option if option is not None else f"{number:g}"
        distribution.setdefault(code, {})[key] = distribution.setdefault(code, {}).get(key, 0) + count
    answered = dict(db.session.execute(
        select(Answer.code, func.count(func.distinct(Answer.response_id)))
        .where(Answer.wave_id == wave.id).group_by(Answer.code)).all())
    found = {}
    for q in questionnaire.questions:
        result = QuestionResult(q.code, q.kind, {"sv": q.prompt_sv, "en": q.prompt_en}, answered.get(q.code, 0),
                                hidden=hidden)
        if not hidden:
            row = numbers.get(q.code)
            n = row.n if row else 0
            if q.kind in ("rating", "nps", "number"):
                mean = mean_interval(n, float(row.total or 0) if row else 0, float(row.squares or 0) if row else 0)
                result.mean = within_scale(mean, *_scale(q))
            if q.kind == "rating":
                result.satisfied = wilson(int(row.high or 0) if row else 0, n)
            if q.kind == "nps" and n and row:
                result.nps = round(100 * (int(row.promoters or 0) - int(row.detractors or 0)) / n, 1)
            if q.kind == "number":
                result.total = float(row.total or 0) if row else 0.0
            if q.kind == "yes_no":
                counts = distribution.get(q.code, {})
                result.share_yes = wilson(counts.get("yes", 0), counts.get("yes", 0) + counts.get("no", 0))
            if q.kind in ("rating", "nps", "choice", "multi", "yes_no"):
                result.distribution = _ordered(q, distribution.get(q.code, {}))
        found[q.code] = result.as_dict()
    return found


def same(tallied, direct, where: str = "") -> None:
    """Equal, floats to the last few bits (a sum kept by adding and taking away rounds otherwise)."""
    if isinstance(direct, float) or isinstance(tallied, float):
        assert tallied is not None and direct is not None and math.isclose(tallied, direct, rel_tol=1e-9,
                                                                           abs_tol=1e-9), where
    elif isinstance(direct, dict):
        assert isinstance(tallied, dict) and set(tallied) == set(direct), (where, tallied, direct)
        for key in direct:
            same(tallied[key], direct[key], f"{where}.{key}")
    else:
        assert tallied == direct, (where, tallied, direct)


def check(wave: Wave) -> dict:
    """The results (from the tallies) against the reference, and the tallies against a rebuild."""
    db.session.expire_all()
    wave = db.session.get_one(Wave, wave.id)
    shown = results.wave_results(wave).as_dict()["questions"]
    same(shown, reference_questions(wave))
    kept = stored_tallies(wave)
    tallies.rebuild(wave.id)
    same(stored_tallies(wave), kept)
    db.session.rollback()
    return shown


def stored_tallies(wave: Wave) -> dict:
    """The wave's tally rows, their shards added up, leaving out those all zero (what an edit
    leaves of an item given no more)."""
    sums: dict = {}
    for r in db.session.scalars(select(AnswerTally).where(AnswerTally.wave_id == wave.id)):
        row = sums.setdefault((r.code, r.item), dict.fromkeys(
            ("count", "n", "total", "squares", "high", "promoters", "detractors"), 0))
        for name in row:
            row[name] += getattr(r, name)
    return {key: row for key, row in sums.items() if row["count"] or row["n"]}


# --- the results from the tallies are the results from the answers -------------------------------

def test_every_kind_of_question_through_submits_and_edits(ctx, lead):
    _rollout, wave = every_kind_wave(lead, 14)
    links = tokens(wave)
    for i, token in enumerate(links[:12]):
        feedback.submit(token, answers_of(i))
    first = check(wave)
    assert first["satisfaction"]["answered"] == 12 and first["missing"]["answered"] == 9
    assert first["went_well"]["answered"] == 6
    # edits: other values, answers taken away and given, the same answers again
    feedback.submit(links[0], answers_of(7))
    feedback.submit(links[1], {"satisfaction": 5})
    feedback.submit(links[2], answers_of(2))
    feedback.submit(links[3], {**answers_of(3), "missing": ["print"], "recommend": 10, "hours_lost": 0.1})
    feedback.submit(links[1], {**answers_of(1), "hours_lost": 99.9})
    for i in range(5):  # a number edited to and fro: the kept sums drift, the shown results do not
        feedback.submit(links[4], {**answers_of(4), "hours_lost": [0.3, 7.7][i % 2]})
    edited = check(wave)
    assert edited != first and edited["satisfaction"]["answered"] == 12
    assert edited["recommend"]["answered"] == first["recommend"]["answered"]  # one taken away, one given


def test_numbers_taken_away_to_none_leave_nothing_behind(ctx, lead):
    _rollout, wave = every_kind_wave(lead, 3)
    token = tokens(wave)[0]
    feedback.submit(token, {"hours_lost": 0.1, "satisfaction": 3})
    feedback.submit(token, {"hours_lost": 0.2, "satisfaction": 3})
    feedback.submit(token, {"satisfaction": 3})
    shown = check(wave)
    assert shown["hours_lost"]["total"] == 0.0 and shown["hours_lost"]["answered"] == 0
    assert shown["hours_lost"]["mean"]["value"] is None


def test_hidden_small_anonymous_groups_and_then_shown(ctx, lead):
    rollout, wave = every_kind_wave(lead, 8, anonymous=True)
    links = tokens(wave)
    for i, token in enumerate(links[:3]):
        feedback.submit(token, answers_of(i))
    hidden = check(wave)
    assert hidden["satisfaction"]["hidden"] and "distribution" not in hidden["satisfaction"]
    for i, token in enumerate(links[3:7], start=3):
        feedback.submit(token, answers_of(i))
    feedback.submit(links[0], answers_of(5))
    shown = check(wave)
    assert not shown["satisfaction"]["hidden"] and shown["satisfaction"]["answered"] == 7


def test_bulk_rows_with_a_rebuild_and_the_purges_and_erasure(ctx, lead):
    rollout, wave = every_kind_wave(lead, 10)
    links = tokens(wave)
    for i, token in enumerate(links[:8]):
        feedback.submit(token, answers_of(i))
    builders.bulk_responses(wave, 20)  # rows straight to the tables, then tallies.rebuild
    before = check(wave)
    assert before["satisfaction"]["answered"] == 28
    person = db.session.scalars(select(Person).join(FeedbackLink, FeedbackLink.person_id == Person.id)
                                .where(FeedbackLink.wave_id == wave.id).order_by(Person.id)).first()
    privacy.erase_person(person, lead)
    assert check(wave) == before  # the free text erased, the answer kept: "answered" stays
    retention.purge_texts(rollout, utcnow())
    retention.purge_personal_data(rollout, utcnow())
    db.session.commit()
    assert check(wave) == before


def test_concurrent_submits_and_edits_to_one_wave_keep_the_tallies(app, is_postgres, lead):
    if not is_postgres:
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    _rollout, wave = every_kind_wave(lead, 16)
    links = tokens(wave)
    barrier, errors = threading.Barrier(8), []

    def run(share: list[int]) -> None:
        with app.app_context():
            try:
                barrier.wait()
                for i in share:
                    feedback.submit(links[i], answers_of(i))
                    feedback.submit(links[i], answers_of(i + 1))
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=([j, j + 8],)) for j in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors  # no deadlock, nothing refused
    assert check(wave)["satisfaction"]["answered"] == 16


# --- a submit is a handful of statements on one connection ---------------------------------------

def test_a_submit_is_a_handful_of_statements_on_one_connection(app, client, ctx, lead):
    _rollout, wave = every_kind_wave(lead, 3)
    token = tokens(wave)[0]
    checkouts: list[object] = []

    def checkout(*_args) -> None:
        checkouts.append(1)

    client.get(f"/api/v1/feedback/{tokens(wave)[1]}")  # the questions are read once per process
    event.listen(db.engine, "checkout", checkout)
    try:
        # new: the link, the response, its answers, the tallies, the count (PostgreSQL: three of them
        # in one statement each); an edit: the link, the response, the old answers, the new, the
        # tallies, and the consent to share an answer taken back with the old ones (services/feedback/consent)
        for limit, answers in ((5, answers_of(5)), (7, answers_of(6))):
            checkouts.clear()
            with counting_queries() as statements:
                response = client.post(f"/api/v1/feedback/{token}", json={"answers": {**answers, "went_well": "ok"}})
            assert response.status_code == 200, response.get_data(as_text=True)
            assert len(statements) <= limit, statements
            assert len(checkouts) == 1
    finally:
        event.remove(db.engine, "checkout", checkout)
    body = response.get_json()
    assert body["answers"]["went_well"] == "ok" and body["wave"] == wave.number


# --- the migration fills the tallies of the answers already stored -------------------------------

@pytest.fixture
def unmigrated(database_url, tmp_path):
    """A database of its own with nothing in it, on the same backend as the run."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'tallies.sqlite'}"
        return
    with fresh_postgres_database(database_url, "rollout_tally") as url:
        yield url


def test_the_migration_counts_the_answers_stored_before_it(unmigrated):
    from flask_migrate import upgrade

    app = make_app(unmigrated)
    with app.app_context():
        upgrade(revision="0007_rollout_language")
        statements = [
            "INSERT INTO rollouts (id, key, name, description, anonymous, created_at, anonymity_k, reminder_days, "
            "problem_categories, gate, vote_budget, language) VALUES (1, 'old-2026', 'Old', '', false, "
            "CURRENT_TIMESTAMP, 5, 2, '[]', '{}', 5, 'sv')",
            "INSERT INTO questionnaires (id, rollout_id, version, created_at) VALUES (1, 1, 1, CURRENT_TIMESTAMP)",
            "INSERT INTO waves (id, rollout_id, number, name, state, selection, feedback_days, auto_advance, "
            "members_count, decision_rationale, created_at, questionnaire_id, responses_count, gate_overrides) "
            "VALUES (1, 1, 0, 'Pilot', 'feedback', '{}', 7, false, 4, '', CURRENT_TIMESTAMP, 1, 3, '{}')",
        ]
        for position, q in enumerate(EVERY_KIND):
            statements.append(
                "INSERT INTO questions (questionnaire_id, code, kind, prompt_sv, prompt_en, options, required, "
                f"position) VALUES (1, '{q['code']}', '{q['kind']}', 'x', 'x', '[]', false, {position})")
        for r in (1, 2, 3):
            statements.append("INSERT INTO responses (id, wave_id, questionnaire_id, respondent_key, language, "
                              f"submitted_at, updated_at, edits) VALUES ({r}, 1, 1, 'k{r}', 'sv', "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)")
        answers = [(1, "satisfaction", 5, None, None), (2, "satisfaction", 2, None, None),
                   (3, "satisfaction", 5, None, None), (1, "recommend", 10, None, None),
                   (2, "recommend", 3, None, None), (1, "hours_lost", 1.5, None, None), (3, "hours_lost", 0.1, None, None),
                   (1, "worked_day_one", 1, "'yes'", None), (2, "worked_day_one", 0, "'no'", None),
                   (1, "missing", None, "'mail'", None), (1, "missing", None, "'vpn'", None),
                   (3, "missing", None, "'vpn'", None), (2, "printer", None, "'ok'", None),
                   (1, "went_well", None, None, "'bra'"), (2, "went_well", None, None, "''")]
        for response, code, number, option, free_text in answers:
            statements.append("INSERT INTO answers (response_id, wave_id, code, number, option, text) VALUES "
                              f"({response}, 1, '{code}', {'NULL' if number is None else number}, "
                              f"{option or 'NULL'}, {free_text or 'NULL'})")
        with db.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
        upgrade()
        wave = db.session.get_one(Wave, 1)
        migrated = stored_tallies(wave)
        assert migrated[("satisfaction", "")]["count"] == 3 and migrated[("missing", "vpn")]["count"] == 2
        assert migrated[("satisfaction", "5")]["count"] == 2 and migrated[("went_well", "")]["count"] == 2
        tallies.rebuild(1)
        same(stored_tallies(wave), migrated)
        same(results.wave_results(wave).as_dict()["questions"], reference_questions(wave))
        db.session.remove()
        db.engine.dispose()



def test_submits_spread_over_the_shards_and_the_results_add_them_up(ctx, lead):
    """Each sum is kept in SHARDS rows, a response's in the one of its id, so that submits at once
    lock different rows; the wave's count and its results are the shards added up."""
    _rollout, wave = every_kind_wave(lead, 12)
    links = tokens(wave)
    for i, token in enumerate(links[:10]):
        feedback.submit(token, answers_of(i))
    feedback.submit(links[3], answers_of(7))  # an edit stays in its response's shard
    db.session.expire_all()
    wave = db.session.get_one(Wave, wave.id)
    shards = db.session.scalars(select(AnswerTally.shard).where(
        AnswerTally.wave_id == wave.id, AnswerTally.code == tallies.RESPONSES, AnswerTally.item == "")).all()
    assert len(shards) == min(10, tallies.SHARDS), "ten responses in as many shards as there are"
    assert wave.responses_count == 10 and results.wave_results(wave).responded == 10
    assert min(db.session.scalars(select(AnswerTally.count).where(AnswerTally.wave_id == wave.id))) >= 0
    check(wave)
