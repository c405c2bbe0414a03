"""The data of each chart of a rollout, read in a few small queries, and the chart built from it
in the page's language.

Each chart reads only its own inputs (`gather`): the waves (loaded with the rollout), and for
the answer charts one grouped count of one question's answers (`_answer_counts`), for the
problems chart one grouped count of the reports, for the lessons chart the lessons' two counts.
Everything the picture shows -- those numbers, the waves' names, dates and states, the gate,
the anonymity rule, the labels in one language -- ends up in `ChartData.args` and `kwargs`, and
the chart is built from nothing else. So the digest of them (`ChartData.fingerprint`) changes
whenever the picture would, whichever write changed the data, and it is the chart's cache key
and ETag (services/chart_cache): a request whose ETag still matches is answered after these
reads, without drawing or reading stored bytes. A page that shows a chart's title, alt text and
table (`describe`) never draws it either: the figure is drawn only when its SVG or PNG is asked
for, and only when no worker has stored it yet."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from .. import charts
from ..extensions import db
from ..models import AnswerTally, ProblemReport, Question, Questionnaire, Rollout, User, Wave
from . import chart_translations, checkins, gates, lessons, questionnaires
from .accounts import require_view
from .errors import NotFound
from .results import SATISFIED_FROM, answers_hidden, per_100
from .stats import Estimate, wilson

NAMES = ("satisfaction", "response-rate", "problems", "lessons", "timeline")
#: the kinds of question with a chart of their answers ("question-<code>")
CHARTED_KINDS = ("rating", "nps", "choice", "multi", "yes_no")
SATISFACTION = "satisfaction"  # the question whose rating the satisfaction chart shows
LOCAL = ZoneInfo("Europe/Stockholm")
CHECKINS = "checkins-"  # "checkins-<wave number>": the trend of a wave's check-ins


@dataclass
class ChartData:
    rollout_id: int
    name: str
    language: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    build: Callable[..., charts.Chart]

    def fingerprint(self, fmt: str) -> str:
        """The chart's cache key and ETag: a digest of the rollout, the chart, everything it shows
        (data and labels), the format and CHART_VERSION."""
        return charts.fingerprint(self.rollout_id, self.name, self.language, fmt, self.args, self.kwargs)

    def chart(self) -> charts.Chart:
        return self.build(*self.args, **self.kwargs)


def _wave_label(number: int) -> str:
    return _("Wave %(n)s", n=number)


def _local_date(value: Optional[datetime]) -> Optional[date]:
    return value.astimezone(LOCAL).date() if value else None


def _not_started(wave: Wave) -> Optional[charts.Withheld]:
    """Why a wave that has not started has no values: not "no members", it has none yet."""
    if wave.started_at is not None:
        return None
    return charts.Withheld("cancelled" if wave.state == "cancelled" else "not_started")


def _withheld(wave: Wave) -> Optional[charts.Withheld]:
    """Why a wave's answers are not shown: not started, or hidden to keep an anonymous rollout's
    answers anonymous (with the number who answered, which every page shows)."""
    if answers_hidden(wave):
        return charts.Withheld("hidden", answered=wave.responses_count, k=wave.rollout.anonymity_k)
    return _not_started(wave)


# The tallies kept with the answers (services/tallies), their shards added up: a few rows per wave,
# however many answered. Built once with bound parameters and run on the connection, as a chart
# from the cache (a 200 or a 304) is this and two other statements: the ORM's work per call was
# most of its time.
_TOTAL = func.sum(AnswerTally.count)
_COUNTS = (select(AnswerTally.wave_id, AnswerTally.item, _TOTAL)
           .where(AnswerTally.code == bindparam("code"), AnswerTally.item != "")
           .group_by(AnswerTally.wave_id, AnswerTally.item).having(_TOTAL > 0))
_ANY_KIND = _COUNTS.where(AnswerTally.wave_id.in_(bindparam("waves", expanding=True)))
_OF_KIND = _COUNTS.where(AnswerTally.wave_id.in_(
    select(Wave.id).join(Question, Question.questionnaire_id == Wave.questionnaire_id)
    .where(Wave.id.in_(bindparam("waves", expanding=True)), Question.code == bindparam("code"),
           Question.kind == bindparam("kind")).scalar_subquery()))


def _answer_counts(waves: list[Wave], code: str, kind: Optional[str] = None) -> dict[int, dict[str, int]]:
    """Per wave id, how often each option or value of question `code` was answered, keyed as the
    results' distributions are; with `kind`, only in the waves whose questionnaire asks `code` as
    that kind of question. One query; none for no waves."""
    counts: dict[int, dict[str, int]] = {}
    if not waves:
        return counts
    query, values = (_ANY_KIND, {}) if kind is None else (_OF_KIND, {"kind": kind})
    for wave_id, item, count in db.session.connection().execute(query, {"waves": [w.id for w in waves],
                                                                      "code": code, **values}):
        counts.setdefault(wave_id, {})[item] = int(count)
    return counts


def _satisfied(counts: dict[str, int]) -> Estimate:
    """The share of ratings of SATISFIED_FROM or more, with its interval, as the results give it."""
    ratings = [(float(key), count) for key, count in counts.items() if key.replace(".", "", 1).isdigit()]
    return wilson(sum(c for value, c in ratings if value >= SATISFIED_FROM), sum(c for _value, c in ratings))


def _problem_counts(waves: list[Wave]) -> dict[int, dict[str, int]]:
    """Per wave id, the problem reports per category (one query)."""
    counts: dict[int, dict[str, int]] = {}
    if not waves:
        return counts
    for wave_id, category, count in db.session.execute(
            select(ProblemReport.wave_id, ProblemReport.category, func.count())
            .where(ProblemReport.wave_id.in_([w.id for w in waves]))
            .group_by(ProblemReport.wave_id, ProblemReport.category)):
        counts.setdefault(wave_id, {})[category] = count
    return counts


def gather(rollout: Rollout, name: str, language: str, actor: Optional[User],
           today: Optional[date] = None) -> ChartData:
    """The data of chart `name`, read for it alone."""
    require_view(actor, rollout)
    if name not in NAMES and not name.startswith(("question-", CHECKINS)):
        raise NotFound(_("There is no such chart."))
    if name.startswith(CHECKINS):
        return _checkins(rollout, name, language, actor)
    labels = chart_translations.labels(name.replace("-", "_") if not name.startswith("question-") else "distribution")
    waves = list(rollout.waves)
    names = [_wave_label(w.number) for w in waves]
    gate = {**gates.DEFAULTS, **(rollout.gate or {})}

    def data(args: tuple[Any, ...], kwargs: dict[str, Any], build: Callable[..., charts.Chart]) -> ChartData:
        return ChartData(rollout.id, name, language, args, kwargs, build)

    if name == "satisfaction":
        withheld_per_wave = [_withheld(w) for w in waves]
        # a wave whose questions have no satisfaction rating has no satisfied share: no answers, n = 0
        counts = _answer_counts([w for w, why in zip(waves, withheld_per_wave, strict=True) if why is None],
                                SATISFACTION, kind="rating")
        shares = []
        for label, w, withheld in zip(names, waves, withheld_per_wave, strict=True):
            estimate = _satisfied(counts.get(w.id, {})) if withheld is None else None
            n = estimate.n if estimate else w.responses_count
            shares.append(charts.WaveShare(label, n, estimate.value if estimate else None,
                                           estimate.low if estimate else None, estimate.high if estimate else None,
                                           withheld))
        return data((shares,), {"gate": gate["min_satisfied"], "labels": labels}, charts.satisfaction)
    if name == "response-rate":
        # who answered is public even while an anonymous wave's answers are hidden: only "not started" is said
        shares = []
        for label, w in zip(names, waves, strict=True):
            withheld = _not_started(w)
            invited = w.members_count if w.feedback_opened_at else 0
            rate = wilson(w.responses_count, invited) if withheld is None else None
            shares.append(charts.WaveShare(label, invited, rate.value if rate else None,
                                           rate.low if rate else None, rate.high if rate else None, withheld))
        return data((shares,), {"gate": gate["min_response_rate"], "labels": labels}, charts.response_rate)
    if name == "problems":
        titles = {c["code"]: c.get(language) or c["sv"] for c in questionnaires.categories(rollout)}
        reports = _problem_counts(waves)
        reported = {code for per_wave in reports.values() for code in per_wave}
        # a category no longer in the rollout's list still counts in the totals: shown by its code, as on the
        # wave's page
        titles.update({code: code for code in sorted(reported - titles.keys())})
        codes = [c for c in titles if c in reported]
        withheld_per_wave = [_not_started(w) for w in waves]
        shown = [bool(w.members_count) and not why for w, why in zip(waves, withheld_per_wave, strict=True)]
        per_category = {titles[c]: [(per_100(reports.get(w.id, {}).get(c, 0), w.members_count) or 0.0) if show
                                    else None for w, show in zip(waves, shown, strict=True)] for c in codes}
        # the totals the results table shows, from each wave's own count: not the sum of rounded parts
        totals = [per_100(sum(reports.get(w.id, {}).values()), w.members_count) if show else None
                  for w, show in zip(waves, shown, strict=True)]
        return data((names, [titles[c] for c in codes], per_category),
                    {"labels": labels, "totals": totals, "withheld": withheld_per_wave}, charts.problems)
    if name == "lessons":
        # the carrying forward: raised in a wave's retrospective, applied and verified for a later one
        lesson_counts = lessons.chart_counts(rollout)
        per_wave = [lesson_counts.get(w.number, {}) for w in waves]
        raised, applied, verified = ([entry.get(key, 0) for entry in per_wave]
                                     for key in ("raised", "applied", "verified"))
        return data((names, raised, applied, verified), {"labels": labels}, charts.lessons)
    if name == "timeline":
        rows = [charts.TimelineRow(label, _local_date(w.planned_start), _local_date(w.planned_end),
                                   _local_date(w.started_at), _local_date(w.done_at or w.closed_at))
                for label, w in zip(names, waves, strict=True)]
        return data((rows,), {"today": today or date.today(), "labels": labels}, charts.timeline)
    code = name[len("question-"):]
    questionnaire = questionnaires.current(rollout)
    question = next((q for q in questionnaire.questions if q.code == code), None)
    if question is None:
        used = [db.session.get(Questionnaire, w.questionnaire_id) for w in waves if w.questionnaire_id]
        question = next((q for qn in used if qn for q in qn.questions if q.code == code), None)
    if question is None or question.kind not in CHARTED_KINDS:
        raise NotFound(_("No chart for that question."))
    keys = list(_keys(question))
    option_labels = [_option_label(question, key, language) for key in keys]
    withheld_per_wave = [_withheld(w) for w in waves]
    answered = _answer_counts([w for w, why in zip(waves, withheld_per_wave, strict=True) if why is None], code)
    per_option = {label: [answered.get(w.id, {}).get(key, 0) for w in waves]
                  for key, label in zip(keys, option_labels, strict=True)}
    labels = {**labels, "title": question.prompt(language)}
    return data((names, option_labels, per_option), {"labels": labels, "withheld": withheld_per_wave},
                charts.distribution)


def checkin_points(trend: checkins.Trend, rollout: Rollout) -> tuple[list[charts.PulsePoint], tuple[float, float]]:
    """The chart's points: each sent check-in's mean of the trended question, in day order."""
    points = []
    scale = (1.0, 5.0)
    for item in trend.sent:
        label = _("Day %(day)s", day=item.checkin.day)
        question = next((q for q in item.questions if q.code == trend.code), None)
        if question is not None and question.kind == "nps":
            scale = (0.0, 10.0)
        if item.hidden:
            points.append(charts.PulsePoint(label, item.responses, None, withheld=charts.Withheld(
                "hidden", answered=item.responses, k=rollout.anonymity_k)))
            continue
        mean = question.mean if question is not None else None
        points.append(charts.PulsePoint(label, mean.n if mean else 0, mean.value if mean else None,
                                        mean.low if mean else None, mean.high if mean else None))
    return points, scale


def _checkins(rollout: Rollout, name: str, language: str, actor: Optional[User]) -> ChartData:
    number = name[len(CHECKINS):]
    wave = next((w for w in rollout.waves if str(w.number) == number), None)
    if wave is None:
        raise NotFound(_("There is no such chart."))
    points, scale = checkin_points(checkins.wave_trend(wave, actor), rollout)
    return ChartData(rollout.id, name, language, (points, scale), {"labels": chart_translations.labels("checkins")},
                     charts.checkins)


def _keys(question: Question) -> list[str]:
    if question.kind == "rating":
        return [str(i) for i in range(1, 6)]
    if question.kind == "nps":
        return [str(i) for i in range(0, 11)]
    if question.kind == "yes_no":
        return ["yes", "no"]
    return [o["value"] for o in question.options or []]


def _option_label(question: Question, key: str, language: str) -> str:
    if question.kind == "yes_no":
        return _("Yes") if key == "yes" else _("No")
    if question.kind in ("rating", "nps"):
        return key
    return question.option_label(key, language)


def chart_names(rollout: Rollout) -> list[str]:
    questionnaire = questionnaires.current(rollout)
    return list(NAMES) + [f"question-{q.code}" for q in questionnaire.questions if q.kind in CHARTED_KINDS]


def describe(data: ChartData) -> dict[str, Any]:
    """A chart's title, text alternative and data table, for a page: made from the data, never drawn."""
    chart = data.chart()
    return {"name": data.name, "title": chart.title, "alt": chart.alt, "table": chart.table}
