"""After a round: is every acknowledged submission stored with its final answers? And the
figures of the round per kind of request (count, errors, p50/p95/p99)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..common import percentile
from .client import CLOSED
from .participants import KINDS, OK, Ledger, Request


@dataclass
class Stored:
    """What the database holds against what was sent, over the people of a round."""

    people: int = 0  # people with at least one submission sent
    acknowledged: int = 0  # acknowledged submissions
    as_last_acknowledged: int = 0  # people whose stored answers are their last acknowledged ones
    unacknowledged_stored: int = 0  # ... or those of a later submission that got no answer (it committed)
    nothing: int = 0  # people with no acknowledged submission and nothing stored (theirs was cut off)
    lost: list[str] = field(default_factory=list)  # why, per person whose acknowledged answers are not stored


def check_stored(app, ledger: Ledger) -> Stored:
    """Read every person's stored answers through the feedback service (what the participant's
    page shows them) and hold them against their submissions: the stored answers must be the last
    acknowledged ones, or those of a submission sent after it whose answer never came (the
    request was cut off after its commit): anything else is a lost acknowledged submission."""
    from rollout.extensions import db
    from rollout.services import feedback
    result = Stored()
    with app.app_context():
        for number, (token, sent) in enumerate(ledger.sent.items()):
            result.people += 1
            result.acknowledged += sum(s.acknowledged for s in sent)
            stored = feedback.current_answers(feedback.visit(token))
            last = max((i for i, s in enumerate(sent) if s.acknowledged), default=-1)
            later: list[dict[str, Any]] = [s.answers for s in sent[last + 1:] if not s.acknowledged]
            if last >= 0 and stored == sent[last].answers:
                result.as_last_acknowledged += 1
            elif stored and stored in later:
                result.unacknowledged_stored += 1
            elif last >= 0:
                result.lost.append(f"person {number}: {len(sent)} sent, number {last + 1} acknowledged last; "
                                   f"stored {stored or 'nothing'}")
            elif stored:
                result.lost.append(f"person {number}: nothing acknowledged, yet stored {stored}")
            else:
                result.nothing += 1
            db.session.remove()
    return result


@dataclass
class Figures:
    kind: str
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float


def figures(requests: list[Request], cut_off: list[Request]) -> list[Figures]:
    """Per kind and for all requests: how many, how many went wrong (not counting those `cut_off`
    by the kill), and the latency percentiles (of every request, the failed ones too: a timeout
    is a slow answer)."""
    excluded = {id(r) for r in cut_off}
    rows = []
    for kind in (*KINDS, "all"):
        chosen = [r for r in requests if kind in ("all", r.kind)]
        if not chosen:
            continue
        seconds = [r.seconds for r in chosen]
        rows.append(Figures(kind, len(chosen), sum(r.outcome != OK and id(r) not in excluded for r in chosen),
                            percentile(seconds, 0.50), percentile(seconds, 0.95), percentile(seconds, 0.99)))
    return rows


def cut_off_by_kill(requests: list[Request], killed_at: float | None) -> list[Request]:
    """The requests the killed worker had in flight: closed or reset without an answer, begun
    before the kill and ended after it. Any other failure is an error."""
    if killed_at is None:
        return []
    return [r for r in requests if r.outcome == CLOSED and r.started <= killed_at <= r.ended + 0.001]


def table(rows: list[Figures]) -> str:
    lines = [f"    {'kind':<12} {'requests':>8} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    lines += [f"    {r.kind:<12} {r.requests:>8} {r.errors:>7} {1000 * r.p50:>8.0f} {1000 * r.p95:>8.0f} "
              f"{1000 * r.p99:>8.0f}" for r in rows]
    return "\n".join(lines)
