"""Problem reports: sent by a participant through their link (a blocker alerts
the leads at once), listed for the team, triaged by a lead, and the count of
open blockers that the gates ask for."""
from __future__ import annotations

from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ...extensions import db
from ...models import PROBLEM_STATUSES, SEVERITIES, Person, ProblemReport, ProblemStatus, Rollout, Severity, User, Wave
from ...models.types import utcnow
from ...models.vocabularies import labelled
from .. import audit, notify, questionnaires
from ..accounts import can_view, require_lead, require_view
from ..errors import FieldErrors, NotFound
from ..paging import page_of
from ..validation import MAX_ID, text_problem
from .responses import MAX_TEXT, FeedbackClosed, start_of_day, visit

SEVERITY_LABELS = labelled(Severity, {"blocker": _l("Blocker"), "major": _l("Major"), "minor": _l("Minor")})
STATUS_LABELS = labelled(ProblemStatus, {"new": _l("New"), "acknowledged": _l("Acknowledged"),
                                         "resolved": _l("Resolved")})


def report_problem(token: str, data: dict) -> ProblemReport:
    v = visit(token)
    if not v.can_report:
        raise FeedbackClosed(_("Problems are reported with this link until the team has decided on the wave, "
                               "and it has. Contact your usual IT support instead."))
    problems = FieldErrors()
    if not isinstance(data, dict):
        data = {}
    category = data.get("category")
    severity = data.get("severity")
    description = data.get("description")
    codes = [c["code"] for c in questionnaires.categories(v.rollout)]
    if category not in codes:
        problems.add("category", _("Choose a category."))
    if severity not in SEVERITIES:
        problems.add("severity", _("Choose how serious the problem is."))
    if not isinstance(description, str) or not description.strip():
        problems.add("description", _("Describe the problem."))
    elif reason := text_problem(description.strip().replace("\t", " "), MAX_TEXT):
        problems.add("description", reason)
    problems.raise_if_any(_("The problem could not be reported."))
    assert isinstance(category, str) and isinstance(description, str)  # checked above
    anonymous = v.rollout.anonymous
    # like an anonymous response, an anonymous report keeps its day, not its minute
    reported = start_of_day(utcnow()) if anonymous else utcnow()
    report = ProblemReport(wave_id=v.wave.id, person_id=None if anonymous else v.person.id, category=category,
                           severity=severity, description=description.strip(), created_at=reported,
                           updated_at=reported)
    db.session.add(report)
    db.session.flush()
    alerts = []
    if severity == "blocker":
        for lead in notify.leads_of(v.rollout):
            alerts.append(f"blocker:{report.id}:{lead.id}")
            notify.queue("blocker", alerts[-1], lead.email, lead.language, "blocker",
                         wave_id=v.wave.id, user_id=lead.id, wave=v.wave, rollout=v.rollout, report=report,
                         category=questionnaires.category_label(v.rollout, category, lead.language),
                         reporter=None if v.rollout.anonymous else v.person,
                         url=notify.public_url(f"/rollouts/{v.rollout.key}/problems"))
    db.session.commit()
    if alerts:
        # "at once": the leads hear of a blocker now, not at the next tick (only these messages)
        notify.deliver_pending(keys=alerts)
    return report


def get_problem(report_id: int, actor: Optional[User], *, rollout: Optional[Rollout] = None,
                to_change: bool = False) -> tuple[ProblemReport, Wave]:
    """A problem report and its wave, for someone on its rollout's team (in `rollout` when given);
    NotFound otherwise, as for one that does not exist. `to_change`: only a lead of the rollout may
    (NotAllowed for a reviewer)."""
    report = db.session.get(ProblemReport, report_id) if 0 < report_id <= MAX_ID else None
    wave = db.session.get(Wave, report.wave_id) if report is not None else None
    if report is None or wave is None or (rollout is not None and wave.rollout_id != rollout.id) \
            or not can_view(actor, wave.rollout):
        raise NotFound(_("No such problem report."))
    if to_change:
        require_lead(actor, wave.rollout)
    return report, wave


def list_problems(rollout: Rollout, actor: Optional[User], *, wave: Optional[Wave] = None, status: str = "",
                  page: int = 1, per_page: int = 50) -> tuple[list[tuple[ProblemReport, Wave]], int]:
    require_view(actor, rollout)
    query = select(ProblemReport, Wave).join(Wave, Wave.id == ProblemReport.wave_id).where(Wave.rollout_id == rollout.id)
    if wave is not None:
        query = query.where(ProblemReport.wave_id == wave.id)
    if status:
        query = query.where(ProblemReport.status == status)
    severity_order = case({"blocker": 0, "major": 1, "minor": 2}, value=ProblemReport.severity, else_=3)
    rows, total = page_of(query.order_by(
        (ProblemReport.status == "resolved"), severity_order, ProblemReport.created_at.desc()), page, per_page,
        rows=True)
    return [(r, w) for r, w in rows], total


def reporters_of(rollout: Rollout, rows: list[tuple[ProblemReport, Wave]]) -> dict[int, Person]:
    """Who reported each report of one page, by person id, in one query; none in an anonymous rollout."""
    ids = {report.person_id for report, _wave in rows if report.person_id}
    if rollout.anonymous or not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}


def triage(report: ProblemReport, status: str, note: str, actor: Optional[User]) -> ProblemReport:
    wave = db.session.get_one(Wave, report.wave_id)
    require_lead(actor, wave.rollout)
    problems = FieldErrors()
    if status not in PROBLEM_STATUSES:
        problems.add("status", _("Choose new, acknowledged or resolved."))
    if note is not None and not isinstance(note, str):
        problems.add("note", _("Write text."))
        note = ""
    note = (note or "").strip()
    if reason := text_problem(note.replace("\t", " "), MAX_TEXT):
        problems.add("note", reason)
    problems.raise_if_any(_("The problem could not be updated."))
    before = report.status
    report.status, report.note, report.updated_at = status, note, utcnow()
    audit.record(actor, "problem.triage", rollout=wave.rollout, subject=f"#{report.id}",
                 details={"from": before, "to": status})
    db.session.commit()
    return report


def open_blockers(wave: Wave) -> int:
    return db.session.scalar(select(func.count()).select_from(ProblemReport).where(
        ProblemReport.wave_id == wave.id, ProblemReport.severity == "blocker",
        ProblemReport.status != "resolved")) or 0
