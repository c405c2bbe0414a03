"""Organisation-wide settings that admins change in the UI: the retention defaults.

A rollout keeps its personal data this many days after its last wave is done,
unless it says otherwise (rollout.services.retention runs the purges)."""
from __future__ import annotations

from typing import Optional

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import db
from ..models import Setting, User
from . import audit
from .accounts import require_admin
from .errors import FieldErrors
from .validation import Limit, whole_number

RETENTION = "retention"
DEFAULT_RETENTION_DAYS = 365
DEFAULT_TEXT_RETENTION_DAYS = 365
MIN_DAYS, MAX_DAYS = 1, 3650
# how long personal data and free texts are kept, in days after a rollout's last wave is done
RETENTION_DAYS = Limit(MIN_DAYS, MAX_DAYS,
                       _l("Give a whole number of days from %(low)s to %(high)s.", low=MIN_DAYS, high=MAX_DAYS))


def retention_defaults() -> dict[str, int]:
    """{"retention_days", "text_retention_days"}: what a rollout without its own rule keeps."""
    row = db.session.get(Setting, RETENTION)
    value = row.value if row is not None and isinstance(row.value, dict) else {}
    days = whole_number(value.get("retention_days"), MIN_DAYS, MAX_DAYS) or DEFAULT_RETENTION_DAYS
    texts = whole_number(value.get("text_retention_days"), MIN_DAYS, MAX_DAYS) or DEFAULT_TEXT_RETENTION_DAYS
    return {"retention_days": days, "text_retention_days": min(texts, days)}


def clean_retention(retention_days: object, text_retention_days: object, problems: FieldErrors, *,
                    default_allowed: bool) -> tuple[Optional[int], Optional[int]]:
    """Both numbers of days checked (whole, 1-3650; free texts no longer than the rest). With
    `default_allowed` (a rollout), empty means the organisation's default."""
    message = str(RETENTION_DAYS.message)
    cleaned: list[Optional[int]] = []
    bad = False
    for name, value in (("retention_days", retention_days), ("text_retention_days", text_retention_days)):
        number = None
        if value is not None and not (isinstance(value, str) and not value.strip()):
            number = RETENTION_DAYS.take(value)
            if number is None:
                problems.add(name, message)
                bad = True
        elif not default_allowed:
            problems.add(name, message)
            bad = True
        cleaned.append(number)
    days, texts = cleaned
    if not bad and texts is not None:
        limit = days if days is not None else retention_defaults()["retention_days"]
        if texts > limit:
            problems.add("text_retention_days", _(
                "Free texts cannot be kept longer than the rest of the personal data (%(n)s days).", n=limit))
    return days, texts


def set_retention_defaults(retention_days: object, text_retention_days: object, actor: Optional[User]
                           ) -> dict[str, Optional[int]]:
    """Admins set the organisation's defaults; audited with the values before and after."""
    require_admin(actor)
    problems = FieldErrors()
    days, texts = clean_retention(retention_days, text_retention_days, problems, default_allowed=False)
    problems.raise_if_any(_("The settings could not be saved."))
    before = retention_defaults()
    after = {"retention_days": days, "text_retention_days": texts}
    row = db.session.get(Setting, RETENTION)
    if row is None:
        db.session.add(Setting(key=RETENTION, value=after))
    else:
        row.value = after
    audit.record(actor, "settings.retention", subject=RETENTION, details={"before": before, "after": after})
    db.session.commit()
    return after
