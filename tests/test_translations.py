"""The Swedish catalog covers every string in the code, keeps its placeholders,
and the app actually serves Swedish by default and English on request.

When a test here fails after you added or changed a UI string, bring the
catalogs up to date (what `make extract-messages` does):

    .venv/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o rollout/translations/messages.pot .
    .venv/bin/pybabel update -i rollout/translations/messages.pot -d rollout/translations --no-fuzzy-matching

then translate the new entries in rollout/translations/sv/LC_MESSAGES/messages.po
(no fuzzy flags; keep every %(name)s) and run
`.venv/bin/pybabel compile -d rollout/translations`.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "rollout" / "translations"
SV_PO = TRANSLATIONS / "sv" / "LC_MESSAGES" / "messages.po"
LOCALES = ("sv", "en")

# %(name)s, %(n)d, %(p).1f ... (a %% escape is not a placeholder).
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _forms(value) -> list[str]:
    """A message's id or string as a list: one entry, or one per plural form."""
    if isinstance(value, (list, tuple)):
        return [v or "" for v in value]
    return [value or ""]


def _placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


def _read_po(path: Path, locale: str | None = None):
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def _where(message) -> str:
    return ", ".join(f"{file}:{line}" for file, line in message.locations[:3]) or "?"


def _label(message) -> str:
    return " / ".join(repr(form) for form in _forms(message.id))


def _messages(catalog) -> dict:
    """What a catalog translates: id -> string, for what a page would show changed (an empty or
    unchanged string shows the English as it is)."""
    return {tuple(_forms(message.id)): tuple(_forms(message.string)) for message in catalog
            if message.id and not message.fuzzy and any(_forms(message.string))
            and _forms(message.string) != _forms(message.id)}


@pytest.fixture(scope="session")
def compiled_catalogs():
    """The compiled catalogs (*.mo) are committed, so that `pip install .` carries them."""
    for locale in LOCALES:
        if not (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").exists():
            pytest.fail(f"{locale}/LC_MESSAGES/messages.mo is missing: run `make translations`", pytrace=False)
    return TRANSLATIONS


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_catalogs_are_compiled_from_the_po_files(compiled_catalogs, locale):
    """A .po changed without `make translations` would leave the installed package with the old
    texts: the .mo must say exactly what its .po says."""
    po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with open(po.with_suffix(".mo"), "rb") as handle:
        compiled = _messages(read_mo(handle))
    written = _messages(_read_po(po, locale))
    stale = sorted(set(written.items()) ^ set(compiled.items()), key=str)[:10]
    assert compiled == written, (f"{locale}'s messages.mo lags its messages.po (run `make translations` and commit "
                                 f"the .mo): {stale}")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the code now, extracted with the options of `make extract-messages`."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)  # run from the project root, as make does, so paths read rollout/..., rollout/templates/...
        CommandLineInterface().run([
            "pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), ".",
        ])
    catalog = _read_po(pot)
    messages = [m for m in catalog if m.id]
    assert messages, "extraction found no messages at all: is babel.cfg right?"
    return messages


@pytest.fixture(scope="module")
def swedish():
    assert SV_PO.exists(), f"{SV_PO.relative_to(ROOT)} is missing"
    return _read_po(SV_PO, "sv")


def test_extraction_sees_python_templates_and_plurals(extracted):
    files = {file for m in extracted for file, _ in m.locations}
    assert any(f.startswith("rollout/") for f in files), files
    assert any(f.startswith("rollout/templates/") for f in files), files
    assert any(".venv" in f for f in files) is False
    assert any(m.pluralizable for m in extracted)


def test_no_message_hides_inside_an_f_string():
    """The extractor does not look inside f-strings: "Themes, by votes" was written as
    f"## {md(_('Themes, by votes'))}", never extracted, so never translated."""
    import re
    hidden = []
    pattern = re.compile(r"""f(["'])(?:(?!\1).)*\{[^}]*\b(?:_|gettext|ngettext|pgettext|lazy_gettext|_l)\(""")
    for path in sorted(ROOT.joinpath("rollout").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                hidden.append(f"  {path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert hidden == [], "gettext inside an f-string is never extracted:\n" + "\n".join(hidden)


def test_every_message_has_a_swedish_translation(extracted, swedish):
    missing, fuzzy = [], []
    for message in extracted:
        found = swedish.get(message.id, message.context)
        if found is None or not all(s.strip() for s in _forms(found.string)) \
                or len(_forms(found.string)) != len(_forms(message.id)):
            missing.append(f"  {_label(message)}  ({_where(message)})")
        elif found.fuzzy:
            fuzzy.append(f"  {_label(message)}  ({_where(message)})")
    problems = []
    if missing:
        problems.append(f"{len(missing)} message(s) without a Swedish translation in "
                        f"{SV_PO.relative_to(ROOT)}:\n" + "\n".join(missing))
    if fuzzy:
        problems.append(f"{len(fuzzy)} Swedish translation(s) marked fuzzy (check them and remove the flag):\n"
                        + "\n".join(fuzzy))
    if problems:
        pytest.fail("\n".join(problems) + "\n\nUpdate the catalogs as the docstring of "
                    "tests/test_translations.py says, translate, and compile.", pytrace=False)


def test_swedish_translations_keep_the_placeholders(swedish):
    wrong = []
    for message in swedish:
        if not message.id:
            continue
        expected = set().union(*(_placeholders(form) for form in _forms(message.id)))
        for index, translation in enumerate(_forms(message.string)):
            if not translation:
                continue  # reported by the coverage test
            got = _placeholders(translation)
            if got != expected:
                wrong.append(f"  {_label(message)} [form {index}]: expected {sorted(expected)}, "
                             f"got {sorted(got)} in {translation!r}")
            elif expected:
                try:
                    translation % dict.fromkeys(re.findall(r"%\((\w+)\)", translation), 1)
                except (ValueError, TypeError) as error:
                    wrong.append(f"  {_label(message)} [form {index}]: {translation!r} does not format "
                                 f"({error}); write a literal percent sign as %%")
    if wrong:
        pytest.fail("Swedish translations whose placeholders differ from the English:\n"
                    + "\n".join(wrong), pytrace=False)


def test_login_page_is_swedish_by_default_and_english_on_request(compiled_catalogs, client):
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert "<h1>Logga in</h1>" in html
    assert ">Log in<" not in html

    switched = client.get("/language/en")
    assert switched.status_code in (302, 303)

    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<h1>Log in</h1>" in html
    assert "Logga in" not in html

    client.get("/language/sv")
    assert "<h1>Logga in</h1>" in client.get("/login").get_data(as_text=True)
