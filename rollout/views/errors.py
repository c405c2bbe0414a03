"""Error pages for the web UI and JSON errors for the API."""
from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..services.errors import DomainError, GuardFailed


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, details: object = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details if details is not None else []}})
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> ResponseReturnValue:
        if wants_json():
            details = error.details
            if isinstance(error, GuardFailed):
                details = {"guard": error.guard, "reasons": error.details}
            return json_error(error.status, error.code, error.message, details)
        return render_template("error.html", status=error.status, message=error.message), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if wants_json():
            code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                    422: "validation_failed"}.get(error.code or 500, "error")
            return json_error(error.code or 500, code, error.description or error.name)
        messages = {
            400: _("The request could not be understood. If you sent a form, reload the page and try again."),
            403: _("You do not have access to this page."),
            404: _("There is no page at this address."),
            405: _("This address does not accept that kind of request."),
            413: _("The file is too large."),
        }
        status = error.code or 500  # set on every exception Flask hands to this handler
        return render_template("error.html", status=status,
                               message=messages.get(status, error.description)), status

    @app.errorhandler(500)
    def server_error(error):
        if wants_json():
            return json_error(500, "internal_error", "Something went wrong on our side.")
        return render_template("error.html", status=500,
                               message=_("Something went wrong on our side. Try again in a moment.")), 500
