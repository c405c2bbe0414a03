"""A token's "last used" time: kept to the minute, so that a busy client does not write to the
database on every request (issue 13: every bearer request used to write and commit)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from rollout.extensions import db
from rollout.models import ApiToken
from rollout.models.types import utcnow

from . import builders
from .conftest import Api
from .helpers import counting_queries, ok


def _last_used(token_id: int):
    db.session.expire_all()
    return db.session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))


def test_a_token_notes_its_use_once_a_minute_not_on_every_request(client, ctx, lead):
    api = Api(client, builders.make_token(lead))
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == lead.id))
    assert _last_used(token_id) is None
    ok(api.get("/rollouts"))
    first = _last_used(token_id)
    assert first is not None and utcnow() - first < timedelta(seconds=30)

    # within the minute: the token is read, never written
    with counting_queries() as statements:
        ok(api.get("/rollouts"))
        ok(api.get("/rollouts"))
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE") and "api_tokens" in s]
    assert _last_used(token_id) == first

    # a minute later the next request notes it again
    db.session.execute(db.update(ApiToken).where(ApiToken.id == token_id)
                       .values(last_used_at=first - timedelta(minutes=2)))
    db.session.commit()
    ok(api.get("/rollouts"))
    again = _last_used(token_id)
    assert again is not None and again > first - timedelta(seconds=1)
