"""What every resource of the API shares: the blueprint, the bearer token, paging, and finding the
rollout and wave a path names."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import g, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_smorest import Blueprint

from ..languages import LANGUAGES
from ..models import Rollout, Wave

# services.rollouts as another name: `rollouts` here is this package's own module
from ..services import accounts
from ..services import rollouts as rollout_service
from ..services import waves as wave_service
from ..services.errors import DomainError, NotFound, ValidationFailed
from ..services.validation import MAX_ID, whole_number  # noqa: F401  (ids and wave numbers are 32-bit)
from .schemas.base import BadRequest, QueryNumber, Schema, json_body, load, load_query  # noqa: F401

API_PREFIX = "/api/v1"
api = Blueprint("api", __name__, url_prefix=API_PREFIX)

MAX_PER_PAGE = 500
# Far beyond any real list, and small enough that page * per_page fits an SQL OFFSET.
MAX_PAGE = 100_000



class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


P = ParamSpec("P")
R = TypeVar("R")


def token_required(view: Callable[P, R]) -> Callable[P, R]:
    """The caller must send `Authorization: Bearer <token>`; `g.user` is its user."""
    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        user = accounts.user_for_authorization(request.headers.get("Authorization", ""))
        if user is None:
            raise Unauthorized(_("Send a valid API token: Authorization: Bearer <token>."))
        g.user = user
        return view(*args, **kwargs)
    return wrapped


class Paging(Schema):
    """?page=&per_page= of a list."""

    page = QueryNumber(1, MAX_PAGE, load_default=1)
    per_page = QueryNumber(1, MAX_PER_PAGE, load_default=50)


def paging() -> tuple[int, int]:
    values = load_query(Paging, _("Bad paging parameters."))
    return values["page"], values["per_page"]


def rollout_for(key: str) -> Rollout:
    """The rollout named in the path, if the token's user may see it (404 otherwise)."""
    if not rollout_service.KEY.match(key):
        # no rollout can have this key; and PostgreSQL refuses some strings (NUL) outright
        raise NotFound(_("No such rollout."))
    return rollout_service.get_rollout(key, g.user)


def wave_for(key: str, number: int) -> Wave:
    """The wave of the rollout the path names (404 for none, or a number beyond any wave's)."""
    rollout = rollout_for(key)
    if number > MAX_ID:
        raise NotFound(_("No such wave."))
    return wave_service.get_wave(rollout, number)


def wave_filter(rollout: Rollout, name: str = "wave") -> Wave | None:
    """The wave whose number the query parameter `name` gives; None without it, 422 for no such wave."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    number = whole_number(raw, 0, MAX_ID)
    if number is not None:
        try:
            return wave_service.get_wave(rollout, number)
        except NotFound:
            pass
    raise ValidationFailed(_("Bad query parameters."), [{"field": name, "message": _("No such wave.")}])


def listing(items: list, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def language() -> str:
    """The language of labels in an answer: the request's Accept-Language (sv or en)."""
    chosen = str(get_locale() or "")
    return chosen if chosen in LANGUAGES else "en"


def no_content() -> tuple[str, int]:
    return "", 204
