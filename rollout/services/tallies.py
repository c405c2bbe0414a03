"""Per-question aggregates of a wave's answers (`AnswerTally`), kept current in the transaction
that writes the answers, so that a wave's results read a few rows whatever its size.

`record` adds what one response's answers change (a submit adds its answers; an edit takes the
old ones away and adds the new) as one UPSERT, with the wave's response count, in a fixed
order, as the last write before the commit: every submit of a wave updates the same rows, and
holds their locks only that long.
`rebuild` counts a wave's tallies afresh from its answers, set-based, for whatever writes
answers other than through `feedback.submit` (seeding, bulk rows in tests and benchmarks);
`of_wave` reads them for the results (services/results.py)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Optional
from typing import cast as cast_type

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnClause

from ..extensions import db
from ..models import Answer, AnswerTally, Question, Wave

SATISFIED_FROM = 4  # a rating of 4 or 5 counts as satisfied
PROMOTER_FROM = 9  # nps: 9 and 10 promote, 0 to 6 detract
DETRACTOR_UP_TO = 6
SCALE_KINDS = ("rating", "nps")  # kinds whose values are counted one by one, like options
QUESTION = ""  # the item of a question's own row (an option's value is never empty)
SUMS = ("count", "n", "total", "squares", "high", "promoters", "detractors")


class AnswerRow(NamedTuple):
    """One answer as stored (an `Answer` without its ids): what a tally counts."""

    code: str
    number: Optional[float] = None
    option: Optional[str] = None
    text: Optional[str] = None


def _item(row: AnswerRow, kinds: Mapping[str, str]) -> Optional[str]:
    """Which distribution item an answer counts for, if any (as results.py showed them: the
    option, or a rating's or nps's value)."""
    if row.text is not None:
        return None
    if row.option is not None:
        return row.option
    if row.number is not None and kinds.get(row.code) in SCALE_KINDS:
        return f"{row.number:g}"
    return None


def changes(kinds: Mapping[str, str], removed: Iterable[AnswerRow],
            added: Iterable[AnswerRow]) -> dict[tuple[str, str], list[float]]:
    """(code, item) -> the change of each of SUMS when one response's answers `removed` give way
    to `added`; nothing for a row that does not change (an edit that changes no answer)."""
    delta: dict[tuple[str, str], list[float]] = {}

    def add(key: tuple[str, str], sign: int, *values: float) -> None:
        sums = delta.setdefault(key, [0.0] * len(SUMS))
        for i, value in enumerate(values):
            sums[i] += sign * value

    for sign, rows in ((-1, list(removed)), (1, list(added))):
        for code in {row.code for row in rows}:
            add((code, QUESTION), sign, 1)  # answered: once per response, also for several options
        for row in rows:
            if row.number is not None:
                x = row.number
                add((row.code, QUESTION), sign, 0, 1, x, x * x, x >= SATISFIED_FROM, x >= PROMOTER_FROM,
                    x <= DETRACTOR_UP_TO)
            item = _item(row, kinds)
            if item is not None:
                add((row.code, item), sign, 1)
    return {key: sums for key, sums in delta.items() if any(sums)}


def table_of(model: type[Any]) -> Table:
    """A model's table, for Core statements on the hot path (no ORM bookkeeping per row)."""
    return cast_type(Table, model.__table__)


def conflict_insert(table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the open database's dialect, the one that can say ON CONFLICT DO NOTHING /
    DO UPDATE (PostgreSQL and SQLite spell it alike)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


_UPSERTS: dict[str, Insert] = {}


def _upsert() -> Insert:
    """INSERT .. ON CONFLICT DO UPDATE adding a row to the stored sums; made once per dialect, so
    that it is compiled once (an executemany of it is one round trip)."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in _UPSERTS:
        table = table_of(AnswerTally)
        statement = conflict_insert(table)
        new, old = statement.excluded, table.c
        # once no number is left, the sums are exactly 0, not what adding and taking away left behind
        emptied = old.n + new.n == 0
        _UPSERTS[dialect] = statement.on_conflict_do_update(
            index_elements=[old.wave_id, old.code, old.item],
            set_={"count": old.count + new.count, "n": old.n + new.n,
                  "total": case((emptied, 0.0), else_=old.total + new.total),
                  "squares": case((emptied, 0.0), else_=old.squares + new.squares),
                  "high": old.high + new.high, "promoters": old.promoters + new.promoters,
                  "detractors": old.detractors + new.detractors})
    return _UPSERTS[dialect]


# PostgreSQL: the upsert of a response's tally rows as one statement whatever their number (the
# rows go as arrays, in (code, item) order); `{guard}` may hold a WHERE for a statement that
# includes it (responses.py inserts a new response, its answers and its tallies in one)
PG_UPSERT = """
    INSERT INTO answer_tallies (wave_id, code, item, count, n, total, squares, high, promoters, detractors)
    SELECT :wave_id, u.code, u.item, u.count, u.n, u.total, u.squares, u.high, u.promoters, u.detractors
    FROM unnest(CAST(:code AS VARCHAR[]), CAST(:item AS VARCHAR[]), CAST(:count AS INTEGER[]),
                CAST(:n AS INTEGER[]), CAST(:total AS FLOAT8[]), CAST(:squares AS FLOAT8[]),
                CAST(:high AS INTEGER[]), CAST(:promoters AS INTEGER[]), CAST(:detractors AS INTEGER[]))
         AS u(code, item, count, n, total, squares, high, promoters, detractors)
    {guard}
    ON CONFLICT (wave_id, code, item) DO UPDATE SET
        count = answer_tallies.count + excluded.count, n = answer_tallies.n + excluded.n,
        total = CASE WHEN answer_tallies.n + excluded.n = 0 THEN 0 ELSE answer_tallies.total + excluded.total END,
        squares = CASE WHEN answer_tallies.n + excluded.n = 0 THEN 0
                       ELSE answer_tallies.squares + excluded.squares END,
        high = answer_tallies.high + excluded.high, promoters = answer_tallies.promoters + excluded.promoters,
        detractors = answer_tallies.detractors + excluded.detractors
    RETURNING 1"""
# the tallies and the wave's response count in one statement: the count waits for the tallies
# (its one-time filter reads them first), so every submit locks the shared rows in one order
PG_COUNT_AFTER_TALLIES = """
    UPDATE waves SET responses_count = responses_count + 1
    WHERE id = :wave_id AND (SELECT count(*) FROM tallied) >= 0 AND {condition}"""
_PG_SHARED_ROWS = text(f"WITH tallied AS ({PG_UPSERT.format(guard='')})"
                       + PG_COUNT_AFTER_TALLIES.format(condition="CAST(:new_response AS BOOLEAN)"))


def tally_rows(kinds: Mapping[str, str], removed: Iterable[AnswerRow], added: Iterable[AnswerRow]) -> list[dict]:
    """The changes of one response's tallies as rows {code, item, *SUMS}, in (code, item) order."""
    return [{"code": code, "item": item,
             **{name: value if name in ("total", "squares") else int(value)
                for name, value in zip(SUMS, sums, strict=True)}}
            for (code, item), sums in sorted(changes(kinds, removed, added).items())]


def pg_arrays(rows: list[dict]) -> dict[str, list]:
    """`rows` as the arrays PG_UPSERT takes."""
    return {name: [row[name] for row in rows] for name in ("code", "item", *SUMS)}


def record(wave_id: int, kinds: Mapping[str, str], removed: Iterable[AnswerRow], added: Iterable[AnswerRow],
           *, new_response: bool) -> None:
    """Write the rows every submit of the wave shares: add to its tallies what one response's new
    answers change, and count a new response. Meant as the last writes before the commit, in the
    open transaction; one statement on PostgreSQL (none when nothing changes), two on SQLite.
    The tallies go in (code, item) order, then the wave: two submits lock the rows they share in
    the same order and never deadlock."""
    rows = tally_rows(kinds, removed, added)
    if not rows and not new_response:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_PG_SHARED_ROWS, {"wave_id": wave_id, "new_response": new_response, **pg_arrays(rows)})
        return
    if rows:
        db.session.execute(_upsert(), [{"wave_id": wave_id, **row} for row in rows])
    if new_response:
        waves = table_of(Wave)
        db.session.execute(update(waves).where(waves.c.id == wave_id).values(responses_count=waves.c.responses_count + 1))


def _counted(*where: Any) -> tuple[Select[Any], Select[Any]]:
    """The tallies of the answers matching `where`, counted from the answers: the questions' own
    rows, and the distribution items."""
    zero: ColumnClause[int] = literal_column("0")
    number = Answer.number
    questions = (select(Answer.wave_id, Answer.code, literal_column("''"),
                        func.count(func.distinct(Answer.response_id)), func.count(number),
                        func.coalesce(func.sum(number), 0.0), func.coalesce(func.sum(number * number), 0.0),
                        func.coalesce(func.sum(case((number >= SATISFIED_FROM, 1), else_=0)), 0),
                        func.coalesce(func.sum(case((number >= PROMOTER_FROM, 1), else_=0)), 0),
                        func.coalesce(func.sum(case((number <= DETRACTOR_UP_TO, 1), else_=0)), 0))
                 .where(*where).group_by(Answer.wave_id, Answer.code))
    item = case((Answer.option.is_not(None), Answer.option), else_=cast(cast(number, Integer), String))
    items = (select(Answer.wave_id, Answer.code, item, func.count(), zero, zero, zero, zero, zero, zero)
             .select_from(Answer).join(Wave, Wave.id == Answer.wave_id)
             .outerjoin(Question, and_(Question.questionnaire_id == Wave.questionnaire_id,
                                       Question.code == Answer.code))
             .where(*where, Answer.text.is_(None),
                    or_(Answer.option.is_not(None), and_(Question.kind.in_(SCALE_KINDS), number.is_not(None))))
             .group_by(Answer.wave_id, Answer.code, item))
    return questions, items


def rebuild(wave_id: int) -> None:
    """Count the wave's tallies afresh from its answers (three set-based statements), in the open
    transaction: after answers were written or removed other than through `feedback.submit`."""
    db.session.execute(delete(AnswerTally).where(AnswerTally.wave_id == wave_id))
    columns = ["wave_id", "code", "item", *SUMS]
    for query in _counted(Answer.wave_id == wave_id):
        db.session.execute(insert(AnswerTally).from_select(columns, query))


class QuestionTally(NamedTuple):
    answered: int  # responses that answered the question
    n: int  # numbers given
    total: float
    squares: float
    high: int
    promoters: int
    detractors: int


def of_wave(wave_id: int) -> tuple[dict[str, QuestionTally], dict[str, dict[str, int]]]:
    """The wave's tallies in one query: per code its own row, and its distribution {item: count}."""
    questions: dict[str, QuestionTally] = {}
    distribution: dict[str, dict[str, int]] = {}
    for row in db.session.execute(
            select(AnswerTally.code, AnswerTally.item, AnswerTally.count.label("answers"), AnswerTally.n,
                   AnswerTally.total,
                   AnswerTally.squares, AnswerTally.high, AnswerTally.promoters, AnswerTally.detractors)
            .where(AnswerTally.wave_id == wave_id)):
        if row.item == QUESTION:
            questions[row.code] = QuestionTally(row.answers, row.n, row.total, row.squares, row.high,
                                                row.promoters, row.detractors)
        elif row.answers:
            distribution.setdefault(row.code, {})[row.item] = row.answers
    return questions, distribution
