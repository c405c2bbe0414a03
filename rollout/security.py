"""Security headers on every response, from one small after-request hook (Flask-Talisman would
also redirect to https and set cookie flags, which the proxy and the config do here).

- a Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval': scripts and styles come
  from /static only (the templates hold none inline);
- frames: no page may be framed (`frame-ancestors 'none'`, X-Frame-Options DENY), except the
  charts, which intranet pages may embed: their frame ancestors are EMBED_FRAME_ANCESTORS;
- nosniff, Referrer-Policy same-origin (the participant's pages send none at all);
- HSTS when the request came over https;
- request bodies of at most MAX_CONTENT_LENGTH (1 MB), but IMPORT_MAX_CONTENT_LENGTH for the
  people imports, refused with 413 before they are read.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request

EMBEDDABLE = {"results.chart"}  # images an intranet page or a BI tool may show in a frame
IMPORTS = {"people.import_csv", "api.import_people"}  # the routes that take a whole file


def policy(frame_ancestors: str) -> str:
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", f"frame-ancestors {frame_ancestors}",
    ))


def add_headers(response: Response) -> Response:
    headers = response.headers
    embeddable = request.endpoint in EMBEDDABLE
    ancestors = (current_app.config.get("EMBED_FRAME_ANCESTORS") or "'none'") if embeddable else "'none'"
    headers.setdefault("Content-Security-Policy", policy(ancestors))
    if ancestors == "'none'":
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def limit_body() -> None:
    if request.endpoint in IMPORTS:
        request.max_content_length = current_app.config["IMPORT_MAX_CONTENT_LENGTH"]


def init_app(app: Flask) -> None:
    # first of all: CSRF protection reads a form body in its own before-request hook
    app.before_request_funcs.setdefault(None, []).insert(0, limit_body)
    app.after_request(add_headers)
