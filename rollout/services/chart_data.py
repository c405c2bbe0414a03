"""The data of each chart of a rollout, gathered from the results, and the
chart built from it in the page's language. The data is gathered first, so
that a request whose ETag still matches is answered without drawing; a page
that shows a chart's title, alt text and table (`describe`) never draws it
either: the figure is drawn only when its SVG or PNG is asked for."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from .. import charts
from ..extensions import db
from ..models import Question, Questionnaire, Rollout, User, Wave
from . import chart_translations, gates, lessons, questionnaires
from .accounts import require_view
from .errors import NotFound
from .results import WaveResults, rollout_results

NAMES = ("satisfaction", "response-rate", "problems", "lessons", "timeline")
LOCAL = ZoneInfo("Europe/Stockholm")


@dataclass
class ChartData:
    name: str
    language: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    build: Callable[..., charts.Chart]

    def fingerprint(self, fmt: str) -> str:
        return charts.fingerprint(self.name, self.language, fmt, self.args, self.kwargs)

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


def _withheld(result: WaveResults) -> Optional[charts.Withheld]:
    """Why a wave's answers are not shown: not started, or hidden to keep an anonymous rollout's
    answers anonymous (with the number who answered, which every page shows)."""
    if result.hidden:
        return charts.Withheld("hidden", answered=result.responded, k=result.wave.rollout.anonymity_k)
    return _not_started(result.wave)


def gather(rollout: Rollout, name: str, language: str, actor: Optional[User], today: Optional[date] = None,
           all_results: Optional[list[WaveResults]] = None) -> ChartData:
    """The data of chart `name`; pass `all_results` when the caller has them already."""
    require_view(actor, rollout)
    if name not in NAMES and not name.startswith("question-"):
        raise NotFound(_("There is no such chart."))
    labels = chart_translations.labels(name.replace("-", "_") if not name.startswith("question-") else "distribution")
    all_results = all_results if all_results is not None else rollout_results(rollout, actor)
    waves = [r.wave for r in all_results]
    names = [_wave_label(w.number) for w in waves]
    gate = {**gates.DEFAULTS, **(rollout.gate or {})}
    if name == "satisfaction":
        shares = []
        for label, r in zip(names, all_results, strict=True):
            withheld = _withheld(r)
            estimate = r.satisfied() if withheld is None else None
            n = estimate.n if estimate else r.responded if withheld else 0
            shares.append(charts.WaveShare(label, n, estimate.value if estimate else None,
                                           estimate.low if estimate else None, estimate.high if estimate else None,
                                           withheld))
        return ChartData(name, language, (shares,), {"gate": gate["min_satisfied"], "labels": labels},
                         charts.satisfaction)
    if name == "response-rate":
        # who answered is public even while an anonymous wave's answers are hidden: only "not started" is said
        shares = []
        for label, r in zip(names, all_results, strict=True):
            withheld = _not_started(r.wave)
            rate = r.response_rate if withheld is None else None
            shares.append(charts.WaveShare(label, r.invited, rate.value if rate else None,
                                           rate.low if rate else None, rate.high if rate else None, withheld))
        return ChartData(name, language, (shares,), {"gate": gate["min_response_rate"], "labels": labels},
                         charts.response_rate)
    if name == "problems":
        titles = {c["code"]: c.get(language) or c["sv"] for c in questionnaires.categories(rollout)}
        reported = {code for r in all_results for code in r.problems["by_category"]}
        # a category no longer in the rollout's list still counts in the totals: shown by its code, as on the
        # wave's page
        titles.update({code: code for code in sorted(reported - titles.keys())})
        codes = [c for c in titles if c in reported]
        withheld_per_wave = [_not_started(r.wave) for r in all_results]
        shown = [r.wave.members_count and not why for r, why in zip(all_results, withheld_per_wave, strict=True)]
        per_100 = {titles[c]: [(r.problems["by_category"].get(c, {}).get("per_100") or 0.0) if show else None
                               for r, show in zip(all_results, shown, strict=True)] for c in codes}
        # the totals the results table shows, from each wave's own count: not the sum of rounded parts
        totals = [r.problems["per_100"] if show else None for r, show in zip(all_results, shown, strict=True)]
        return ChartData(name, language, (names, [titles[c] for c in codes], per_100),
                         {"labels": labels, "totals": totals, "withheld": withheld_per_wave}, charts.problems)
    if name == "lessons":
        # the carrying forward: raised in a wave's retrospective, applied and verified for a later one
        lesson_counts = lessons.chart_counts(rollout)
        per_wave = [lesson_counts.get(w.number, {}) for w in waves]
        raised, applied, verified = ([entry.get(key, 0) for entry in per_wave]
                                     for key in ("raised", "applied", "verified"))
        return ChartData(name, language, (names, raised, applied, verified), {"labels": labels}, charts.lessons)
    if name == "timeline":
        rows = [charts.TimelineRow(label, _local_date(w.planned_start), _local_date(w.planned_end),
                                   _local_date(w.started_at), _local_date(w.done_at or w.closed_at))
                for label, w in zip(names, waves, strict=True)]
        return ChartData(name, language, (rows,), {"today": today or date.today(), "labels": labels},
                         charts.timeline)
    if name.startswith("question-"):
        code = name[len("question-"):]
        questionnaire = questionnaires.current(rollout)
        question = next((q for q in questionnaire.questions if q.code == code), None)
        if question is None:
            used = [db.session.get(Questionnaire, w.questionnaire_id) for w in waves if w.questionnaire_id]
            question = next((q for qn in used if qn for q in qn.questions if q.code == code), None)
        if question is None or question.kind not in ("rating", "nps", "choice", "multi", "yes_no"):
            raise NotFound(_("No chart for that question."))
        keys = list(_keys(question))
        option_labels = [_option_label(question, key, language) for key in keys]
        counts: dict[str, list[int]] = {label: [] for label in option_labels}
        withheld_per_wave = [_withheld(r) for r in all_results]
        for r, why in zip(all_results, withheld_per_wave, strict=True):
            result = r.questions.get(code)
            distribution = (result.distribution if result and why is None else {}) or {}
            for key, label in zip(keys, option_labels, strict=True):
                counts[label].append(int(distribution.get(key, 0)))
        labels = {**labels, "title": question.prompt(language)}
        return ChartData(name, language, (names, option_labels, counts), {"labels": labels, "withheld": withheld_per_wave},
                         charts.distribution)
    raise NotFound(_("There is no such chart."))


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
    return list(NAMES) + [f"question-{q.code}" for q in questionnaire.questions
                          if q.kind in ("rating", "nps", "choice", "multi", "yes_no")]


def describe(data: ChartData) -> dict[str, Any]:
    """A chart's title, text alternative and data table, for a page: made from the data, never drawn."""
    chart = data.chart()
    return {"name": data.name, "title": chart.title, "alt": chart.alt, "table": chart.table}
