"""A wave's check-ins as a trend: per check-in how many answered, per question the mean with its
95 % interval (rating, nps, number), the distribution (rating, nps, choice, multi, yes_no) and the
free texts; all from grouped counts and sums in SQL, a fixed number of queries however many
answered. In an anonymous rollout a check-in with fewer than k answers shows only its count, as
the results do (`answers_hidden`).

The flag for the lead: an open blocker in the wave, or a falling trend -- the latest check-in's
mean of the trended question (the first rating or nps question) below the previous one's with
intervals that do not overlap, so that a dip two answers could make is not called a fall."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from sqlalchemy import func, select

from ...extensions import db
from ...models import CheckIn, CheckInAnswer, CheckInResponse, Question, User, Wave
from ..accounts import require_view
from ..feedback.problems import open_blockers
from ..results import within_scale
from ..stats import Estimate, mean_interval
from .plan import latest_sent, list_checkins, questions_of, state_of

MEANS = ("rating", "nps", "number")
COUNTED = ("rating", "nps", "choice", "multi", "yes_no")
TRENDED = ("rating", "nps")  # the kinds whose mean the chart and the flag follow


@dataclass
class QuestionTrend:
    code: str
    kind: str
    prompt: dict[str, str]
    answered: int
    mean: Optional[Estimate] = None
    distribution: dict[str, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "kind": self.kind, "prompt": self.prompt,
                                "answered": self.answered}
        if self.mean is not None:
            data["mean"] = self.mean.as_dict()
        if self.distribution:
            data["distribution"] = self.distribution
        if self.kind == "text":
            data["texts"] = self.texts
        return data


@dataclass
class CheckInTrend:
    checkin: CheckIn
    state: str  # planned / open / closed
    responses: int
    hidden: bool  # anonymous and fewer than k answers: the count only
    questions: list[QuestionTrend]

    def mean_of(self, code: Optional[str]) -> Optional[Estimate]:
        found = next((q for q in self.questions if q.code == code), None)
        return found.mean if found is not None else None

    def as_dict(self) -> dict[str, Any]:
        return {"responses": self.responses, "hidden": self.hidden,
                "questions": [] if self.hidden else [q.as_dict() for q in self.questions]}


@dataclass
class Flag:
    """What the lead is told: open blockers, and a fall from the previous check-in to the latest."""

    open_blockers: int
    falling: bool
    previous: Optional[CheckInTrend] = None
    latest: Optional[CheckInTrend] = None

    @property
    def raised(self) -> bool:
        return bool(self.open_blockers) or self.falling

    def as_dict(self) -> dict[str, Any]:
        return {"open_blockers": self.open_blockers, "falling": self.falling,
                "previous_day": self.previous.checkin.day if self.previous else None,
                "latest_day": self.latest.checkin.day if self.latest else None}


@dataclass
class Trend:
    items: list[CheckInTrend]
    code: Optional[str]  # the trended question
    flag: Flag

    @property
    def sent(self) -> list[CheckInTrend]:
        return [item for item in self.items if item.checkin.sent_at is not None]


def _scale(q: Question) -> tuple[Optional[float], Optional[float]]:
    if q.kind == "rating":
        return 1.0, 5.0
    if q.kind == "nps":
        return 0.0, 10.0
    return q.min_value, q.max_value


def _keys(q: Question) -> list[str]:
    if q.kind == "rating":
        return [str(i) for i in range(1, 6)]
    if q.kind == "nps":
        return [str(i) for i in range(0, 11)]
    if q.kind == "yes_no":
        return ["yes", "no"]
    return [o["value"] for o in q.options or []]


def _item_key(kind: str, option: Optional[str], number: Optional[float]) -> Optional[str]:
    if kind in ("rating", "nps"):
        return None if number is None else str(int(number))
    return option


def _read(checkins: list[CheckIn], k: int, anonymous: bool) -> dict[int, tuple[int, bool, list[QuestionTrend]]]:
    """Per check-in id: responses, hidden, and its questions' figures. Four grouped queries."""
    ids = [c.id for c in checkins]
    if not ids:
        return {}
    responses = dict(db.session.execute(
        select(CheckInResponse.checkin_id, func.count()).where(CheckInResponse.checkin_id.in_(ids))
        .group_by(CheckInResponse.checkin_id)).all())
    hidden = {i: bool(anonymous and 0 < responses.get(i, 0) < k) for i in ids}
    shown = [i for i in ids if not hidden[i]]
    answered: dict[tuple[int, str], int] = {}
    sums: dict[tuple[int, str], tuple[int, float, float]] = {}
    counts: dict[tuple[int, str], list[tuple[Optional[str], Optional[float], int]]] = {}
    texts: dict[tuple[int, str], list[str]] = {}
    if shown:
        for checkin_id, code, responded, n, total, squares in db.session.execute(
                select(CheckInAnswer.checkin_id, CheckInAnswer.code,
                       func.count(func.distinct(CheckInAnswer.response_id)), func.count(CheckInAnswer.number),
                       func.sum(CheckInAnswer.number), func.sum(CheckInAnswer.number * CheckInAnswer.number))
                .where(CheckInAnswer.checkin_id.in_(shown)).group_by(CheckInAnswer.checkin_id, CheckInAnswer.code)):
            answered[(checkin_id, code)] = int(responded)
            sums[(checkin_id, code)] = (int(n), float(total or 0), float(squares or 0))
        # options and scale values: a few rows per question (free numbers are left out)
        for checkin_id, code, option, number, count in db.session.execute(
                select(CheckInAnswer.checkin_id, CheckInAnswer.code, CheckInAnswer.option,
                       CheckInAnswer.number, func.count())
                .where(CheckInAnswer.checkin_id.in_(shown), CheckInAnswer.text.is_(None),
                       (CheckInAnswer.option.is_not(None)) | (CheckInAnswer.number.between(0, 10)))
                .group_by(CheckInAnswer.checkin_id, CheckInAnswer.code, CheckInAnswer.option, CheckInAnswer.number)):
            counts.setdefault((checkin_id, code), []).append((option, number, int(count)))
        for checkin_id, code, text in db.session.execute(
                select(CheckInAnswer.checkin_id, CheckInAnswer.code, CheckInAnswer.text)
                .where(CheckInAnswer.checkin_id.in_(shown), CheckInAnswer.text.is_not(None))
                .order_by(CheckInAnswer.checkin_id, CheckInAnswer.code, CheckInAnswer.text)):
            texts.setdefault((checkin_id, code), []).append(text or "")
    found = {}
    for checkin in checkins:
        figures = []
        for q in questions_of(checkin):
            key = (checkin.id, q.code)
            result = QuestionTrend(q.code, q.kind, {"sv": q.prompt_sv, "en": q.prompt_en}, answered.get(key, 0))
            if not hidden[checkin.id]:
                if q.kind in MEANS:
                    n, total, squares = sums.get(key, (0, 0.0, 0.0))
                    result.mean = within_scale(mean_interval(n, total, squares), *_scale(q))
                if q.kind in COUNTED:
                    given: dict[str, int] = {}
                    for option, number, count in counts.get(key, []):
                        item = _item_key(q.kind, option, number)
                        if item is not None:
                            given[item] = given.get(item, 0) + count
                    result.distribution = {item: given.get(item, 0) for item in _keys(q)}
                if q.kind == "text":
                    result.texts = texts.get(key, [])
            figures.append(result)
        found[checkin.id] = (responses.get(checkin.id, 0), hidden[checkin.id], figures)
    return found


def _trended_code(items: list[CheckInTrend]) -> Optional[str]:
    """The first rating or nps question of the latest check-in sent (else of the first planned)."""
    ordered = sorted(items, key=lambda i: (i.checkin.sent_at is not None, i.checkin.day))
    for item in reversed(ordered):
        for q in item.questions:
            if q.kind in TRENDED:
                return q.code
    return None


def _flag(wave: Wave, items: list[CheckInTrend], code: Optional[str]) -> Flag:
    with_mean = [i for i in items if i.checkin.sent_at is not None and not i.hidden
                 and (m := i.mean_of(code)) is not None and m.value is not None]
    with_mean.sort(key=lambda i: i.checkin.day)
    falling, previous, latest = False, None, None
    if len(with_mean) >= 2:
        previous, latest = with_mean[-2], with_mean[-1]
        before, after = previous.mean_of(code), latest.mean_of(code)
        assert before is not None and after is not None
        falling = (before.low is not None and after.high is not None and after.value is not None
                   and before.value is not None and after.high < before.low)
    return Flag(open_blockers(wave), falling, previous, latest)


def wave_trend(wave: Wave, actor: Optional[User]) -> Trend:
    """The trend of the wave's check-ins, in day order, and the lead's flag."""
    require_view(actor, wave.rollout)
    checkins = list_checkins(wave)
    latest = latest_sent(wave)
    read = _read(checkins, wave.rollout.anonymity_k, wave.rollout.anonymous)
    items = [CheckInTrend(c, state_of(c, wave, latest), *read[c.id]) for c in checkins]
    code = _trended_code(items)
    return Trend(items, code, _flag(wave, items, code))


def checkin_trend(checkin: CheckIn, wave: Wave, actor: Optional[User]) -> CheckInTrend:
    """One check-in's figures."""
    require_view(actor, wave.rollout)
    read = _read([checkin], wave.rollout.anonymity_k, wave.rollout.anonymous)
    return CheckInTrend(checkin, state_of(checkin, wave, latest_sent(wave)), *read[checkin.id])
