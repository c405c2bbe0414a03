"""Where a lesson stands: its statuses, where it may go from each, which need a
reason, which keep its target wave from starting, and their names.

    open -> planned -> applied -> verified_effective | verified_ineffective
    open | planned -> deferred | dropped (with a reason)
"""
from __future__ import annotations

from flask_babel import pgettext

from ...models import LessonStatus
from ...models.vocabularies import labelled

# where a lesson may go from each status
TRANSITIONS = {
    "open": ("planned", "applied", "deferred", "dropped"),
    "planned": ("open", "applied", "deferred", "dropped"),
    "applied": ("planned", "verified_effective", "verified_ineffective"),
    "verified_effective": ("applied",),
    "verified_ineffective": ("applied",),
    "deferred": ("open", "planned"),
    "dropped": ("open",),
}
NEEDS_REASON = ("deferred", "dropped")
VERIFIED = ("verified_effective", "verified_ineffective")
# what the team concludes when it verifies a lesson: verified_<outcome>
VERIFY_OUTCOMES = ("effective", "ineffective")
DONE_FOR_THE_WAVE = ("applied", "verified_effective", "verified_ineffective")
# a wave cannot start while a lesson targeted at it is in one of these
BLOCKING = ("open", "planned")
# states in which a wave's results exist to verify a lesson against
VERIFIABLE_WAVE_STATES = ("review", "done")


def status_label(status: str) -> str:
    # a context of their own: "Applied" of a lesson is singular, unlike the chart's legend
    return labelled(LessonStatus, {
        "open": pgettext("lesson status", "Open"), "planned": pgettext("lesson status", "Planned"),
        "applied": pgettext("lesson status", "Applied"),
        "verified_effective": pgettext("lesson status", "Verified: effective"),
        "verified_ineffective": pgettext("lesson status", "Verified: not effective"),
        "deferred": pgettext("lesson status", "Deferred"), "dropped": pgettext("lesson status", "Dropped"),
    }).get(status, status)
