"""The public pages anyone may read without signing in: the privacy notice for
participants (`/privacy`) and the accessibility statement DIGG requires
(`/accessibility`, tillgänglighetsredogörelse).

Each is one template per language (templates/public/<page>.<lang>.html): they are
whole legal texts, read and reviewed as such, not strings to translate one by one.
The page speaks the language of the page it was linked from (`?lang=` on the links
from the e-mails, the form and the footer) unless the reader picked another."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import format_date, get_locale, refresh

from ..languages import LANGUAGES
from ..services import ideas
from ..services.settings import retention_defaults

bp = Blueprint("public", __name__)

COMPLIANCE_LEVELS = ("full", "partial", "none")


@bp.before_request
def language_of_the_link():
    """`?lang=en` from a link: the page's language, unless the reader chose one with the switch."""
    if request.args.get("lang") in LANGUAGES:
        g.participant_language = request.args["lang"]
        refresh()


def page_language() -> str:
    language = str(get_locale())
    return language if language in LANGUAGES else "sv"


def in_language(value: object, language: str) -> object:
    """A setting given as {"sv": ..., "en": ...} in the page's language; a plain value as it is."""
    if isinstance(value, dict):
        return value.get(language) or value.get("sv") or next(iter(value.values()), "")
    return value


def assessed_on(value: object) -> str:
    """The ISO date of the assessment as the reader writes dates; anything else as written."""
    try:
        return format_date(date.fromisoformat(str(value)), "long")
    except ValueError:
        return str(value or "")


def organisation(language: str) -> dict:
    config = current_app.config
    return {
        "organisation": in_language(config.get("ORGANISATION_NAME"), language) or "Organisationen",
        "service": in_language(config.get("SERVICE_NAME"), language) or "Rollout",
    }


@bp.route("/privacy")
def privacy():
    language = page_language()
    config = current_app.config
    return render_template(
        f"public/privacy.{language}.html", **organisation(language), **retention_defaults(),
        idea_retention_days=ideas.retention_days(),
        privacy_contact=config.get("PRIVACY_CONTACT") or "",
        data_protection_officer=config.get("DATA_PROTECTION_OFFICER") or "",
        extra=in_language(config.get(f"PRIVACY_NOTICE_EXTRA_{language.upper()}"), language) or "")


@bp.route("/accessibility")
def accessibility():
    language = page_language()
    config = current_app.config
    compliance = in_language(config.get("ACCESSIBILITY_COMPLIANCE"), language) or "partial"
    shortcomings = in_language(config.get("ACCESSIBILITY_SHORTCOMINGS"), language) or []
    if not isinstance(shortcomings, (list, tuple)):  # one text (or a value from the environment)
        shortcomings = [shortcomings]
    return render_template(
        f"public/accessibility.{language}.html", **organisation(language),
        compliance=compliance, compliance_level=compliance if compliance in COMPLIANCE_LEVELS else None,
        shortcomings=[str(item) for item in shortcomings if str(item).strip()],
        assessed=assessed_on(config.get("ACCESSIBILITY_ASSESSED")),
        method=in_language(config.get("ACCESSIBILITY_METHOD"), language) or "",
        accessibility_contact=config.get("ACCESSIBILITY_CONTACT") or "")
