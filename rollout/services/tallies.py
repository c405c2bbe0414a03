"""Per-question aggregates of a wave's answers (`AnswerTally`), kept current in the transaction
that writes the answers, so that a wave's results read a few rows whatever its size.

`record` adds what one response's answers change (a submit adds its answers; an edit takes the
old ones away and adds the new) as one UPSERT, with the wave's response count (the row of code
RESPONSES), in a fixed order, as the last write before the commit. Every submit of a wave adds to
the same sums, so each sum is kept in SHARDS rows, a response's always in the one of its id:
submits of one wave at once mostly lock different rows instead of queueing for one (which
halved the submits a second a wave could take). Readers add the shards up.
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
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ColumnClause

from ..extensions import db
from ..models import Answer, AnswerTally, Question, Response, Wave

SATISFIED_FROM = 4  # a rating of 4 or 5 counts as satisfied
PROMOTER_FROM = 9  # nps: 9 and 10 promote, 0 to 6 detract
DETRACTOR_UP_TO = 6
SCALE_KINDS = ("rating", "nps")  # kinds whose values are counted one by one, like options
QUESTION = ""  # the item of a question's own row (an option's value is never empty)
RESPONSES = ""  # the code of the wave's response count (its `count`; no question's code is empty)
SHARDS = 8  # rows per sum: a response's tallies go to shard (response id % SHARDS)
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
            added: Iterable[AnswerRow], *, new_response: bool = False) -> dict[tuple[str, str], list[float]]:
    """(code, item) -> the change of each of SUMS when one response's answers `removed` give way
    to `added` (and, for a new response, the wave's count); nothing for a row that does not
    change (an edit that changes no answer)."""
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
    if new_response:
        add((RESPONSES, QUESTION), 1, 1)
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
            index_elements=[old.wave_id, old.code, old.item, old.shard],
            set_={"count": old.count + new.count, "n": old.n + new.n,
                  "total": case((emptied, 0.0), else_=old.total + new.total),
                  "squares": case((emptied, 0.0), else_=old.squares + new.squares),
                  "high": old.high + new.high, "promoters": old.promoters + new.promoters,
                  "detractors": old.detractors + new.detractors})
    return _UPSERTS[dialect]


# PostgreSQL: the upsert of a response's tally rows as one statement whatever their number (the
# rows go as arrays, in (code, item) order, to the response's shard `{shard}`: a parameter, or
# for a statement that inserts the response too, an expression of its new id); `{guard}` may hold
# a WHERE for such a statement (responses.py inserts a new response, its answers and its tallies
# in one)
PG_UPSERT = """
    INSERT INTO answer_tallies (wave_id, code, item, shard, count, n, total, squares, high, promoters, detractors)
    SELECT :wave_id, u.code, u.item, {shard}, u.count, u.n, u.total, u.squares, u.high, u.promoters, u.detractors
    FROM unnest(CAST(:code AS VARCHAR[]), CAST(:item AS VARCHAR[]), CAST(:count AS INTEGER[]),
                CAST(:n AS INTEGER[]), CAST(:total AS FLOAT8[]), CAST(:squares AS FLOAT8[]),
                CAST(:high AS INTEGER[]), CAST(:promoters AS INTEGER[]), CAST(:detractors AS INTEGER[]))
         AS u(code, item, count, n, total, squares, high, promoters, detractors)
    {guard}
    ON CONFLICT (wave_id, code, item, shard) DO UPDATE SET
        count = answer_tallies.count + excluded.count, n = answer_tallies.n + excluded.n,
        total = CASE WHEN answer_tallies.n + excluded.n = 0 THEN 0 ELSE answer_tallies.total + excluded.total END,
        squares = CASE WHEN answer_tallies.n + excluded.n = 0 THEN 0
                       ELSE answer_tallies.squares + excluded.squares END,
        high = answer_tallies.high + excluded.high, promoters = answer_tallies.promoters + excluded.promoters,
        detractors = answer_tallies.detractors + excluded.detractors"""
_PG_SHARED_ROWS = text(PG_UPSERT.format(shard="CAST(:shard AS SMALLINT)", guard=""))


def shard_of(response_id: int) -> int:
    return response_id % SHARDS


def tally_rows(kinds: Mapping[str, str], removed: Iterable[AnswerRow], added: Iterable[AnswerRow],
               *, new_response: bool = False) -> list[dict]:
    """The changes of one response's tallies as rows {code, item, *SUMS}, in (code, item) order."""
    return [{"code": code, "item": item,
             **{name: value if name in ("total", "squares") else int(value)
                for name, value in zip(SUMS, sums, strict=True)}}
            for (code, item), sums in sorted(changes(kinds, removed, added, new_response=new_response).items())]


def pg_arrays(rows: list[dict]) -> dict[str, list]:
    """`rows` as the arrays PG_UPSERT takes."""
    return {name: [row[name] for row in rows] for name in ("code", "item", *SUMS)}


def record(wave_id: int, response_id: int, kinds: Mapping[str, str], removed: Iterable[AnswerRow],
           added: Iterable[AnswerRow], *, new_response: bool) -> None:
    """Write the rows submits of the wave share: add to the response's shard of its tallies what
    its new answers change, and count a new response. Meant as the last write before the commit,
    in the open transaction; one statement (none when nothing changes). The rows go in (code,
    item) order: two submits lock the rows they share in the same order and never deadlock."""
    rows = tally_rows(kinds, removed, added, new_response=new_response)
    if not rows:
        return
    shard = shard_of(response_id)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_PG_SHARED_ROWS, {"wave_id": wave_id, "shard": shard, **pg_arrays(rows)})
        return
    db.session.execute(_upsert(), [{"wave_id": wave_id, "shard": shard, **row} for row in rows])


def _counted(wave_id: int) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The wave's tallies counted from its rows, per shard: the questions' own rows and the
    distribution items from its answers, and its response count from its responses."""
    zero: ColumnClause[int] = literal_column("0")
    empty: ColumnClause[str] = literal_column("''")
    number = Answer.number
    shard = (Answer.response_id % SHARDS).label("shard")
    questions = (select(Answer.wave_id, Answer.code, empty, shard,
                        func.count(func.distinct(Answer.response_id)), func.count(number),
                        func.coalesce(func.sum(number), 0.0), func.coalesce(func.sum(number * number), 0.0),
                        func.coalesce(func.sum(case((number >= SATISFIED_FROM, 1), else_=0)), 0),
                        func.coalesce(func.sum(case((number >= PROMOTER_FROM, 1), else_=0)), 0),
                        func.coalesce(func.sum(case((number <= DETRACTOR_UP_TO, 1), else_=0)), 0))
                 .where(Answer.wave_id == wave_id).group_by(Answer.wave_id, Answer.code, shard))
    item = case((Answer.option.is_not(None), Answer.option), else_=cast(cast(number, Integer), String))
    items = (select(Answer.wave_id, Answer.code, item, shard, func.count(), zero, zero, zero, zero, zero, zero)
             .select_from(Answer).join(Wave, Wave.id == Answer.wave_id)
             .outerjoin(Question, and_(Question.questionnaire_id == Wave.questionnaire_id,
                                       Question.code == Answer.code))
             .where(Answer.wave_id == wave_id, Answer.text.is_(None),
                    or_(Answer.option.is_not(None), and_(Question.kind.in_(SCALE_KINDS), number.is_not(None))))
             .group_by(Answer.wave_id, Answer.code, item, shard))
    response_shard = (Response.id % SHARDS).label("shard")
    responses: Any = (
        select(Response.wave_id, empty, empty, response_shard, func.count(), zero, zero, zero, zero, zero, zero)
        .where(Response.wave_id == wave_id).group_by(Response.wave_id, response_shard))
    return questions, items, responses


def rebuild(wave_id: int) -> None:
    """Count the wave's tallies and its responses afresh from its rows (four set-based
    statements), in the open transaction: after answers were written or removed other than
    through `feedback.submit`."""
    db.session.execute(delete(AnswerTally).where(AnswerTally.wave_id == wave_id))
    columns = ["wave_id", "code", "item", "shard", *SUMS]
    for query in _counted(wave_id):
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
    """The wave's tallies in one query, the shards added up: per code its own row, and its
    distribution {item: count}."""
    questions: dict[str, QuestionTally] = {}
    distribution: dict[str, dict[str, int]] = {}
    t = AnswerTally
    for row in db.session.execute(
            select(t.code, t.item, func.sum(t.count).label("answers"), func.sum(t.n).label("n"),
                   func.sum(t.total).label("total"), func.sum(t.squares).label("squares"),
                   func.sum(t.high).label("high"), func.sum(t.promoters).label("promoters"),
                   func.sum(t.detractors).label("detractors"))
            .where(t.wave_id == wave_id, t.code != RESPONSES).group_by(t.code, t.item)):
        if row.item == QUESTION:
            # a sum of nothing but emptied shards is exactly 0 (see _upsert)
            numbers = int(row.n)
            questions[row.code] = QuestionTally(int(row.answers), numbers, float(row.total) if numbers else 0.0,
                                                float(row.squares) if numbers else 0.0, int(row.high),
                                                int(row.promoters), int(row.detractors))
        elif row.answers:
            distribution.setdefault(row.code, {})[row.item] = int(row.answers)
    return questions, distribution
