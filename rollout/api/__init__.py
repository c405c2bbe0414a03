"""The JSON API, /api/v1: bearer tokens, one module per resource."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, request
from flask_babel import gettext as _

from ..services import accounts
from ..services.errors import DomainError, ValidationFailed

api = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 500


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


def token_required(view):
    """The caller must send `Authorization: Bearer <token>`; `g.user` is its user."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _sep, token = header.partition(" ")
        user = accounts.user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            raise Unauthorized(_("Send a valid API token: Authorization: Bearer <token>."))
        g.user = user
        return view(*args, **kwargs)
    return wrapped


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("The body must be a JSON object (Content-Type: application/json)."))
    return data


def paging() -> tuple[int, int]:
    problems = []
    values = {}
    for name, default, top in (("page", 1, None), ("per_page", 50, MAX_PER_PAGE)):
        raw = request.args.get(name, default)
        try:
            value = int(raw)
            if value < 1 or (top and value > top):
                raise ValueError
            values[name] = value
        except (TypeError, ValueError):
            limit = f"1-{top}" if top else ">= 1"
            problems.append({"field": name, "message": _("A whole number (%(limit)s).", limit=limit)})
    if problems:
        raise ValidationFailed(_("Bad paging parameters."), problems)
    return values["page"], values["per_page"]


def listing(items: list, total: int, page: int, per_page: int) -> dict:
    return {"items": items, "total": total, "page": page, "per_page": per_page}


from . import health, openapi, people, rollouts, waves  # noqa: E402,F401  (routes register themselves)
