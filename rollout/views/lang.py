"""The language of a passage (WCAG 3.1.2): texts people wrote -- a rollout's name, its waves,
retrospective cards, lessons, free-text answers, problem descriptions -- are in the language they
were written in, not necessarily the page's. Templates mark such a passage only when its language
differs from the page's (`current_locale`), so a Swedish page of Swedish texts stays unmarked.

    {{ wave.name|in_lang(rollout.language) }}          -> <span lang="sv">…</span> (escaped)
    <p class="answer-text"{{ lang_attr(language) }}>   -> <p class="answer-text" lang="sv">

Neither goes inside an attribute (alt, title, value, aria-label) or <title>: an attribute
cannot hold markup, and there the passage stays unmarked. A choice in a list (<option>) holds
text only, so a view gives it the whole passage and nothing else (`choice`, `wave_choice`): the
page's words around it go into the list's label or an <optgroup>, which the page's language covers."""
from __future__ import annotations

from typing import Optional

from flask import Flask
from flask_babel import get_locale
from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from wtforms.fields.choices import SelectChoice

from ..languages import LANGUAGES
from ..models import Rollout, Wave
from ..services import questionnaires, waves


def _differs(context: Context, language: Optional[str]) -> Optional[str]:
    """The passage's language when it is a known one and not the page's, else None."""
    return language if language in LANGUAGES and language != context.get("current_locale") else None


def other_language(language: Optional[str]) -> Optional[str]:
    """In a view: `language` when it is a known one and not the page's, else None."""
    return language if language in LANGUAGES and language != str(get_locale()) else None


def choice(value: str, text: str, language: Optional[str], optgroup: Optional[str] = None) -> SelectChoice:
    """A choice in a list whose label is a passage in `language`, marked when it is not the page's."""
    marked = other_language(language)
    return SelectChoice(value, text, render_kw={"lang": marked} if marked else {}, optgroup=optgroup)


def wave_choice(wave: Wave, rollout: Rollout, optgroup: Optional[str] = None) -> SelectChoice:
    """A wave in a list labelled "Wave": "1: Kundcenter" with the name marked, or "Wave 1" in the
    page's words when the wave has no name of its own (a number needs no language)."""
    if waves.title(wave) == _("Wave %(n)s", n=wave.number):
        return SelectChoice(str(wave.number), waves.title(wave), optgroup=optgroup)
    return choice(str(wave.number), f"{wave.number}: {wave.name.strip()}", rollout.language, optgroup)


@pass_context
def in_lang(context: Context, text: object, language: Optional[str]) -> Markup:
    """`text`, escaped, in a <span lang> when `language` is not the page's."""
    text = "" if text is None else text
    marked = _differs(context, language)
    if not marked or not str(text):
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(marked, text)


@pass_context
def lang_attr(context: Context, language: Optional[str]) -> Markup:
    """` lang="…"` for an element holding a passage, when `language` is not the page's."""
    marked = _differs(context, language)
    return Markup(' lang="{}"').format(marked) if marked else Markup("")


def answer_language(answer: object, rollout: Rollout) -> str:
    """The language of a participant's text: their response's, where one is stored (an anonymous
    response stores none), else the rollout's."""
    return getattr(answer, "language", None) or rollout.language


@pass_context
def category_language(context: Context, rollout: Rollout, code: str) -> Optional[str]:
    """The language a problem category's label is shown in: the page's when the category has a
    label in it; otherwise the one label there is, written in the rollout's language."""
    for category in questionnaires.categories(rollout):
        if category.get("code") == code:
            return None if category.get(context.get("current_locale")) else rollout.language
    return None


def init_app(app: Flask) -> None:
    app.add_template_filter(in_lang)
    app.add_template_global(lang_attr)
    app.add_template_global(answer_language)
    app.add_template_global(category_language)
    app.add_template_global(wave_choice)
