"""A participant's consent to share an answer with later waves (the wins).

Only where the rollout is not anonymous: there an answer carries its author, and the team may
share it only with their "yes". The questionnaire asks it under the questions whose answers tell
what went well (`SHAREABLE_CODES`, the codes the retrospective takes as "went well" and
"celebrate"); the API's submit takes it as `share`, a list of those codes. In an anonymous
rollout nothing is asked or stored: an answer there is shared, if at all, without anything that
leads to anyone.

Consent goes with the answers: each submit replaces it, and an edit that takes consent back or
changes the text takes back a win made of the answer."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Optional

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from ...extensions import db
from ...models import Question, ShareConsent, Win
from ...models.types import utcnow
from ..errors import FieldErrors

# the default questionnaire's "what went well" and "anything to celebrate" (retro's KIND_OF_ANSWER)
SHAREABLE_CODES = ("went_well", "celebrate")
FIELD = "share"


def shareable(question: Question) -> bool:
    """Whether the questionnaire asks "may we share this?" under this question."""
    return question.kind == "text" and question.code in SHAREABLE_CODES


def checked_codes(questions: Iterable[Question], share: object, problems: FieldErrors) -> list[str]:
    """The codes of `share` (a list of question codes; None is none), each one a shareable
    question of these; anything else is a problem."""
    if share is None:
        return []
    allowed = {q.code for q in questions if shareable(q)}
    if not isinstance(share, list) or not all(isinstance(code, str) for code in share):
        problems.add(FIELD, _("Give the answers that may be shared as a list of question codes."))
        return []
    wrong = [code for code in share if code not in allowed]
    if wrong:
        problems.add(FIELD, _("These answers cannot be shared: %(codes)s.", codes=", ".join(wrong)[:200]))
        return []
    return list(dict.fromkeys(share))


def record(response_id: int, codes: list[str], texts: dict[str, str], *, edited: bool, anonymous: bool) -> None:
    """Store the consent given with a submit (in its transaction), for the answers given with
    text; on an edit, first take back the consent and the wins the new answers no longer allow."""
    consented = [code for code in codes if texts.get(code)] if not anonymous else []
    if edited:
        # a win of an answer where the rollout is not anonymous needs its consent: when the edit
        # took back none, there is no win to look at (one statement for an edit, not two)
        taken_back = [] if anonymous else list(db.session.scalars(
            delete(ShareConsent).where(ShareConsent.response_id == response_id).returning(ShareConsent.code)))
        if anonymous or taken_back:
            for win_id, code, text in db.session.execute(
                    select(Win.id, Win.code, Win.text).where(Win.response_id == response_id)).all():
                allowed = anonymous or code in consented
                if not allowed or (texts.get(code or "") or "") != text:
                    db.session.execute(delete(Win).where(Win.id == win_id))
    if consented:
        now = utcnow()
        db.session.execute(insert(ShareConsent), [{"response_id": response_id, "code": code, "given_at": now}
                                                  for code in consented])


def consented(response_id: int, code: str) -> bool:
    return db.session.get(ShareConsent, (response_id, code)) is not None


def given_for(response_id: Optional[int]) -> list[str]:
    """The codes a response's author said may be shared."""
    if response_id is None:
        return []
    return list(db.session.scalars(select(ShareConsent.code).where(ShareConsent.response_id == response_id)
                                   .order_by(ShareConsent.code)))
