"""Exports: the responses as CSV (opens right in Excel: UTF-8 with BOM,
semicolons and decimal commas for Swedish Excel, or commas and points), the
whole rollout as JSON, and a wave's retrospective as Markdown."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Iterator, Optional

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from .. import formatting
from ..extensions import db
from ..languages import LANGUAGES
from ..models import Answer, Person, Questionnaire, Response, Rollout, User, Wave
from . import archive_export, compare, lessons, retro, wins
from . import waves as wave_service
from .accounts import require_view
from .results import answers_hidden, wave_results

CHUNK = 500


# what a spreadsheet reads as the start of a formula (or, for tab and CR, of a hidden cell)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A text cell that no spreadsheet runs: a leading ' when it starts as a formula would
    (OWASP's CSV injection advice). Every text cell of every CSV goes through here; numbers we
    write as numbers do not, so that a negative number stays a number."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _number(value: Optional[float], decimal: str) -> str:
    if value is None:
        return ""
    text = f"{value:g}" if not float(value).is_integer() else str(int(value))
    return text.replace(".", decimal)


def _fixed_headings(anonymous: bool) -> list[str]:
    if anonymous:
        return [_("Wave"), _("Submitted on")]
    return [_("Wave"), _("Response"), _("Submitted at"), _("Updated at"), _("Language"), _("External id"),
            _("Name"), _("Unit")]


def responses_csv(rollout: Rollout, actor: Optional[User], wave: Optional[Wave] = None,
                  excel: str = "sv", headings: Optional[str] = None) -> Iterator[str]:
    """The rows of the CSV, streamed: one line per response, one column per question code.
    With `headings` ("sv" or "en") the columns are headed by the questions' own text in that
    language, and options and yes/no are written as words in it; otherwise by codes and values,
    which stay the same from one export to the next (for scripts).

    In an anonymous rollout the rows carry no response id, language or time finer than the day,
    come in the order of their respondent key (a keyed hash, unrelated to when they came), and a
    wave whose answers are hidden (`answers_hidden`: fewer respondents than k) has no rows at all:
    its count is on the results pages, its answers nowhere."""
    require_view(actor, rollout)
    delimiter, decimal = (";", ",") if excel == "sv" else (",", ".")
    waves = [wave] if wave is not None else list(rollout.waves)
    codes: list[str] = []
    questions: dict = {}
    used = {w.questionnaire_id for w in waves if w.questionnaire_id}
    for questionnaire in sorted((db.session.get_one(Questionnaire, i) for i in used), key=lambda q: q.version):
        for q in questionnaire.questions:
            if q.code not in questions:
                codes.append(q.code)
                questions[q.code] = q
    anonymous = rollout.anonymous
    words = None
    if headings in LANGUAGES:
        with force_locale(headings):
            header = _fixed_headings(anonymous) + [questions[code].prompt(headings) for code in codes]
            yes_no = {"yes": _("Yes"), "no": _("No")}
        words = {code: ({**yes_no} if q.kind == "yes_no" else
                        {o["value"]: q.option_label(o["value"], headings) for o in q.options or []})
                 for code, q in questions.items()}
    else:
        header = ["wave", "submitted_on"] if anonymous else [
            "wave", "response", "submitted_at", "updated_at", "language", "external_id", "name", "unit"]
        header += codes
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    # read before the first yield: the view's session may be gone when the rest is streamed
    shown = [(w.id, w.number) for w in waves if not answers_hidden(w)]
    writer.writerow([spreadsheet_safe(name) for name in header])
    yield "\ufeff" + flush()
    order = Response.respondent_key if anonymous else Response.id
    for wave_id, number in shown:
        last = None
        while True:
            query = (select(Response, Person).outerjoin(Person, Person.id == Response.person_id)
                     .where(Response.wave_id == wave_id).order_by(order).limit(CHUNK))
            if last is not None:
                query = query.where(order > last)
            rows = db.session.execute(query).all()
            if not rows:
                break
            answers = _answers([response.id for response, _ in rows], decimal, words)
            for response, person in rows:
                given = answers.get(response.id, {})
                if anonymous:
                    line = [number, response.submitted_at.date().isoformat()]
                else:
                    line = [number, response.id, response.submitted_at.isoformat(timespec="seconds"),
                            response.updated_at.isoformat(timespec="seconds"), response.language]
                    line += [spreadsheet_safe(value) for value in (
                        person.external_id if person else "", person.name if person else "",
                        person.unit_name if person else "")]
                line += ["|".join(given.get(code, [])) for code in codes]
                writer.writerow(line)
            yield flush()
            last = getattr(rows[-1][0], order.key)
            db.session.expunge_all()


def _answers(response_ids: list[int], decimal: str,
             words: Optional[dict[str, dict[str, str]]] = None) -> dict[int, dict[str, list[str]]]:
    """response id -> code -> the answers as cells: numbers as numbers, texts and options made safe;
    with `words`, options as their labels."""
    answers: dict[int, dict[str, list[str]]] = {}
    for answer in db.session.scalars(select(Answer).where(Answer.response_id.in_(response_ids)).order_by(Answer.id)):
        if answer.text is not None:
            value = spreadsheet_safe(answer.text)
        elif answer.option is not None:
            label = (words or {}).get(answer.code, {}).get(answer.option, answer.option)
            value = spreadsheet_safe(label)
        else:
            value = _number(answer.number, decimal)
        answers.setdefault(answer.response_id, {}).setdefault(answer.code, []).append(value)
    return answers


def rollout_json(rollout: Rollout, actor: Optional[User]) -> dict:
    """The whole rollout: settings, questionnaire versions, waves with their selection,
    members (external ids), results, gate, decisions, problem reports and retrospective
    (themes and cards), and the rollout's lessons; and with them the versioned archive that
    `rollout import` reads into another instance (services/archive_export.py)."""
    return archive_export.rollout_archive(rollout, actor)


# --- a wave's retrospective as Markdown ----------------------------------------------

# characters that start emphasis, code, links, images, headings, tables or strike-through
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#|!~])")
# what would start a block of its own at the beginning of a text: a list item or a numbered one
BLOCK_START = re.compile(r"^(?:([-+])|(\d+)([.)]))")


def md(value: object, *, first: bool = False) -> str:
    """User text as literal Markdown text on one line: no heading, link, image, HTML or table
    can come out of it, whatever it holds. (A renderer with GitHub's bare-URL autolinks may still
    make a link of a written-out address; its target is then exactly the text shown.) `first`:
    the text comes first in its line or list item, where "1." or "-" would start a list of its own."""
    text = " ".join(("" if value is None else str(value)).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = MARKDOWN_SPECIAL.sub(r"\\\1", text)
    if first:
        text = BLOCK_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), text)
    return text


def retro_markdown(wave: Wave, actor: Optional[User], language: str = "sv") -> str:
    """The retrospective of `wave` as a Markdown document in `language`: dates, a summary of the
    results, the themes by votes with their cards, the cards in no theme, the lessons raised in
    the wave and those carried into it with their verification, and the decisions recorded on
    the wave. User text is escaped (`md`)."""
    with force_locale(language):
        return _retro_markdown(wave, actor, language)


def _retro_markdown(wave: Wave, actor: Optional[User], language: str) -> str:
    rollout = wave.rollout
    board = retro.board(wave, actor)
    results = wave_results(wave, actor)

    def when(value: Optional[date]) -> str:
        return formatting.when(value) if value else "\u2013"

    def votes(n: int) -> str:
        return ngettext("%(num)s vote", "%(num)s votes", n)

    title = _("Retrospective of wave %(n)s", n=wave.number)
    nobody, none, not_yet, gate_said = _("nobody yet"), _("none"), _("not yet"), _("the gate said")

    def wave_label(number: int) -> str:
        return _("Wave %(n)s", n=number)

    lines = [f"# {md(title)}: {md(wave.name)} \u2013 {md(rollout.name)}", ""]
    facts = [(_("State of the wave"), wave_service.state_label(wave.state)),
             (_("Planned dates"), f"{when(wave.planned_start)} \u2013 {when(wave.planned_end)}"
              if wave.planned_start or wave.planned_end else "\u2013"),
             (_("Started"), when(wave.started_at)),
             (_("Feedback opened"), when(wave.feedback_opened_at)),
             (_("Feedback closed"), when(wave.closed_at)),
             (_("Done"), when(wave.done_at))]
    lines += [f"- {md(label)}: {md(value)}" for label, value in facts] + [""]

    lines += ["## " + md(_("Results")), ""]
    lines.append("- " + md(_("Invited")) + f": {results.invited}")
    lines.append("- " + md(_("Responded")) + f": {results.responded}")
    lines.append("- " + md(_("Response rate")) + f": {md(retro.format_estimate(results.response_rate, 'share'))}")
    if results.hidden:
        hidden = _("The answers are hidden: fewer people have answered than the anonymity threshold of %(k)s.",
                   k=rollout.anonymity_k)
        lines.append(f"- {md(hidden)}")
    else:
        lines.append("- " + md(_("Satisfied (4 or 5 of 5)")) + f": {md(retro.format_estimate(results.satisfied(), 'share'))}")
    lines.append("- " + md(_("Problem reports")) + f": {results.problems['total']}")
    lines.append("")

    lines += ["## " + md(_("Themes, by votes")), ""]
    if not board.themes:
        lines += [md(_("No themes.")), ""]
    for view in board.themes:
        lines += [f"### {md(view.theme.title)} ({md(votes(view.votes))})", ""]
        for card in view.cards:
            lines.append(f"- {md(retro.kind_label(card.kind))}: {md(card.text)} ({md(votes(card.votes))})")
        if not view.cards:
            lines.append(md(_("No cards in this theme.")))
        if view.lessons:
            lines.append("")
            lines.append(md(_("Lessons made of this theme: %(titles)s",
                              titles=", ".join(lesson.title for lesson in view.lessons))))
        lines.append("")

    lines += ["## " + md(_("Cards in no theme")), ""]
    for kind in retro.CARD_KINDS:
        lines += [f"### {md(retro.kind_label(kind))}", ""]
        cards = board.loose[kind]
        lines += [f"- {md(card.text, first=True)} ({md(votes(card.votes))})" for card in cards] or [md(_("No cards."))]
        lines.append("")

    raised, _total = lessons.for_rollout(rollout, actor, origin=wave, per_page=1000)
    lines += ["## " + md(_("Lessons raised in this wave")), ""]
    for lesson in raised:
        lines.append(f"- **{md(lesson.title)}** ({md(lessons.status_label(lesson.status))})")
        if lesson.action:
            lines.append("  - " + md(_("What to do")) + f": {md(lesson.action)}")
        lines.append("  - " + md(_("Owner")) + f": {md(lesson.owner.name if lesson.owner else nobody)}")
        target = _("Wave %(n)s", n=lesson.target_wave.number) if lesson.target_wave else _("none yet")
        lines.append("  - " + md(_("Target wave")) + f": {md(target)}")
        metric = compare.label(rollout, lesson.metric, language) if lesson.metric else _("none")
        lines.append("  - " + md(_("Metric")) + f": {md(metric)}")
        if lesson.status_reason:
            lines.append("  - " + md(_("Reason")) + f": {md(lesson.status_reason)}")
    if not raised:
        lines.append(md(_("No lessons yet.")))
    lines.append("")

    lines += ["## " + md(_("Lessons carried into this wave")), ""]
    carried = retro.carried_into(wave, results, language)
    for lesson, comparison in carried:
        lines.append(f"- **{md(lesson.title)}** ({md(lessons.status_label(lesson.status))})")
        if lesson.origin_wave is not None:
            lines.append("  - " + md(_("Learnt in")) + f": {md(wave_label(lesson.origin_wave.number))}")
        if comparison is None:
            lines.append("  - " + md(_("Metric")) + f": {md(none if not lesson.metric else compare.label(rollout, lesson.metric, language))}")
        else:
            lines.append("  - " + md(_("Metric")) + f": {md(comparison.label)}")
            lines.append("  - " + md(_("Before")) + f": {md(retro.format_estimate(comparison.before, comparison.measure))}")
            lines.append("  - " + md(_("After")) + f": {md(retro.format_estimate(comparison.after, comparison.measure))}")
            lines.append("  - " + md(_("Change")) + f": {md(retro.format_change(comparison.change, comparison.measure))}"
                         f" \u2013 {md(retro.outcome_label(comparison.outcome))}")
            lines.append("  - " + md(_("The evidence proposes")) + f": {md(retro.proposal_label(comparison.proposal))}")
        confirmed = (lesson.verification or {}).get("confirmed") if lesson.status in lessons.VERIFIED else None
        lines.append("  - " + md(_("Confirmed by the team")) + f": "
                     f"{md(retro.proposal_label(confirmed) if confirmed else not_yet)}"
                     + (f" ({md(when(lesson.verified_at))})" if confirmed and lesson.verified_at else ""))
    if not carried:
        lines.append(md(_("No lesson was targeted at this wave.")))
    lines.append("")

    lines += ["## " + md(_("Wins shared with later waves")), ""]
    shared = wins.for_wave(wave)
    lines += [f"- **{md(win.title)}**: {md(win.text)}" if win.title else f"- {md(win.text, first=True)}"
              for win in shared] or [md(_("No wins shared from this wave yet."))]
    lines.append("")

    lines += ["## " + md(_("Decisions")), ""]
    decisions = wave_service.decisions(wave)
    for d in decisions:
        label = {"go": _("go"), "no_go": _("no go"), "extend": _("extend")}.get(d.decision, d.decision)
        text = f"- {md(when(d.decided_at))}: **{md(label)}** ({md(gate_said)} {md(wave_service.verdict_label(d.verdict))}"
        if d.against_verdict:
            text += "; **" + md(_("decided against the verdict")) + "**"
        text += ")"
        if d.decided_by is not None:
            text += f" \u2013 {md(d.decided_by.name)}"
        if d.rationale:
            text += f": {md(d.rationale)}"
        lines.append(text)
    if not decisions:
        lines.append(md(_("No decision yet.")))
    lines.append("")
    return "\n".join(lines)

