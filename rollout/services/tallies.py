"""Per-question aggregates of a wave's answers (`AnswerTally`), kept current in the transaction
that writes the answers, so that a wave's results read a few rows whatever its size.

`count` adds what one response's answers change (a submit adds its answers; an edit takes the
old ones away and adds the new) as one UPSERT, in a fixed order, as the last write before the
commit: every submit of a wave updates the same rows, and holds their locks only that long.
`rebuild` counts a wave's tallies afresh from its answers, set-based, for whatever writes
answers other than through `feedback.submit` (seeding, bulk rows in tests and benchmarks);
`of_wave` reads them for the results (services/results.py)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Optional

from sqlalchemy import Integer, Select, String, and_, case, cast, delete, func, insert, literal_column, or_, select
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


def conflict_insert(entity: type[Any]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the open database's dialect, the one that can say ON CONFLICT DO NOTHING /
    DO UPDATE (PostgreSQL and SQLite spell it alike)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(entity)


def _upsert(rows: list[dict[str, Any]]) -> Insert:
    """INSERT .. ON CONFLICT DO UPDATE adding `rows` to the stored sums."""
    statement = conflict_insert(AnswerTally).values(rows)
    new = statement.excluded
    # once no number is left, the sums are exactly 0, not what adding and taking away left behind
    emptied = AnswerTally.n + new.n == 0
    return statement.on_conflict_do_update(
        index_elements=[AnswerTally.wave_id, AnswerTally.code, AnswerTally.item],
        set_={"count": AnswerTally.count + new.count, "n": AnswerTally.n + new.n,
              "total": case((emptied, 0.0), else_=AnswerTally.total + new.total),
              "squares": case((emptied, 0.0), else_=AnswerTally.squares + new.squares),
              "high": AnswerTally.high + new.high, "promoters": AnswerTally.promoters + new.promoters,
              "detractors": AnswerTally.detractors + new.detractors})


def count(wave_id: int, kinds: Mapping[str, str], removed: Iterable[AnswerRow], added: Iterable[AnswerRow]) -> None:
    """Add to the wave's tallies what one response's new answers change (one statement, or none
    when nothing changes), in the open transaction. The rows go in (code, item) order, so that
    two submits lock the rows they share in the same order and never deadlock."""
    delta = changes(kinds, removed, added)
    if not delta:
        return
    rows = [{"wave_id": wave_id, "code": code, "item": item,
             **{name: value if name in ("total", "squares") else int(value)
                for name, value in zip(SUMS, sums, strict=True)}}
            for (code, item), sums in sorted(delta.items())]
    db.session.execute(_upsert(rows))


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
