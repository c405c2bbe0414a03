"""The app's two languages, in one place: Swedish, the default, and English. Pages, e-mails,
people, accounts, rollouts' texts, questions and exports take these and no others."""
from __future__ import annotations

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"
# each language's name in that language, as a reader looks for it in a list
NATIVE_NAMES = {"sv": "Svenska", "en": "English"}
