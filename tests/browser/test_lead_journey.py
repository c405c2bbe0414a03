"""The rollout lead's journey in a real browser, as a person would do it with a
mouse and a keyboard: log in, plan a rollout, import people, plan the pilot and
two waves, preview who each wave takes, and start the pilot.

Every page on the way is checked with axe-core; serious or critical findings
fail the test. Selectors go through labels and roles, so they also prove that
the labels are right.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from rollout.services import accounts
from rollout.services.cohorts import bucket

from .. import builders
from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]

KEY = "win11-2027"
UNITS = ("IT-avdelningen", "Socialtjänsten")
SWEDISH_CATALOG = Path(__file__).resolve().parents[2] / "rollout" / "translations" / "sv" / "LC_MESSAGES" / "messages.mo"


# --- data --------------------------------------------------------------------

def people_rows(n: int = 40) -> list[dict]:
    """n people, half in each unit, with Swedish letters in their names."""
    first = ["Anna", "Björn", "Åsa", "Örjan", "Märta", "Erik", "Linnéa", "Oskar"]
    return [{"external_id": f"e{1000 + i}", "name": f"{first[i % len(first)]} Testsson {i:02d}",
             "email": f"person{i}@example.se", "unit": UNITS[i % 2], "site": ("Rådhuset", "Stadshuset")[i % 3 == 0]}
            for i in range(1, n + 1)]


def csv_text(rows: list[dict]) -> str:
    lines = ["external_id,name,email,unit,site"]
    lines += [f"{r['external_id']},{r['name']},{r['email']},{r['unit']},{r['site']}" for r in rows]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- small helpers ---------------------------------------------------------------

def log_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def main_menu(page: Page):
    return page.get_by_role("navigation", name="Main menu")


def table_column(table, column: int) -> list[str]:
    return [text.strip() for text in table.locator(f"tbody tr td:nth-child({column})").all_inner_texts()]


def preview_heading(page: Page):
    return page.get_by_role("heading", level=2, name=re.compile(r"^Preview: who the wave would take now"))


def focused(page: Page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
        return {id: e.id, tag: e.tagName.toLowerCase(), text: (e.textContent || '').trim()}; }""")


def tab_until(page: Page, wanted, limit: int = 60) -> dict:
    """Press Tab until `wanted(focused element)` holds; fail when it never does."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
        seen.append(f"{now['tag']}#{now['id']} {now['text'][:40]!r}")
    pytest.fail("Tab never reached the wanted element; the focus went through:\n  " + "\n  ".join(seen))


# --- the journey --------------------------------------------------------------------

def test_lead_plans_a_rollout_and_starts_the_pilot(page: Page, live_server, lead_user, check_a11y, tmp_path):
    rows = people_rows(40)
    ids = [r["external_id"] for r in rows]
    it_people = [r["external_id"] for r in rows if r["unit"] == UNITS[0]]
    # the pilot: the five IT people with the lowest buckets, so that wave 1 (IT, 50 %) would take
    # some of them if the "no one already in an earlier wave" rule did not hold
    pilot = sorted(it_people, key=lambda e: bucket(KEY, e))[:5]
    wave1 = {e for e in it_people if e not in pilot and bucket(KEY, e) <= 50}
    wave2 = set(ids) - set(pilot) - wave1
    assert any(bucket(KEY, e) <= 50 for e in pilot) and wave1, "the data does not exercise the selection"

    # -- the login page, first in Swedish (the default), then switched to English
    page.goto(live_server("/login"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    swedish_heading = page.get_by_role("heading", level=1).inner_text().strip()
    check_a11y(page, "the login page in Swedish")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    if SWEDISH_CATALOG.exists():
        assert swedish_heading != "Log in", "the Swedish catalog is compiled but the login page is not in Swedish"
    check_a11y(page, "the login page")

    # a wrong password first: the error is next to the field and in the summary
    log_in(page, lead_user["email"], "not the password")
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    check_a11y(page, "the login page with an error")
    log_in(page, lead_user["email"], lead_user["password"])
    expect(page).to_have_url(live_server("/rollouts/"))
    expect(page.get_by_role("heading", level=1, name="Rollouts")).to_be_visible()
    expect(page.get_by_text("Lena Lead")).to_be_visible()
    check_a11y(page, "the empty list of rollouts")

    # -- plan a rollout (an empty form first shows what is missing)
    page.get_by_role("link", name="Plan a new rollout").click()
    expect(page.get_by_role("heading", level=1, name="Plan a new rollout")).to_be_visible()
    check_a11y(page, "the rollout form")
    page.get_by_role("button", name="Create the rollout").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary.get_by_role("link", name=re.compile("^Key:"))).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("^Name:"))).to_be_visible()
    expect(page).to_have_title(re.compile("^Error:"))
    check_a11y(page, "the rollout form with errors")
    page.get_by_label("Key").fill(KEY)
    page.get_by_label("Name").fill("Windows 11 i hela kommunen")
    page.get_by_label("Description").fill("Nya datorer och Windows 11 för alla förvaltningar.")
    page.get_by_role("button", name="Create the rollout").click()
    expect(page).to_have_url(live_server(f"/rollouts/{KEY}"))
    expect(page.get_by_role("heading", level=1, name="Windows 11 i hela kommunen")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="was created")).to_be_visible()
    check_a11y(page, "the overview of a new rollout")

    # -- import people: a file with bad lines imports nothing and lists every error by line
    main_menu(page).get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1, name="People")).to_be_visible()
    check_a11y(page, "the empty list of people")
    page.get_by_role("link", name="Import a CSV file").click()
    expect(page.get_by_role("heading", level=1, name="Import people from a CSV file")).to_be_visible()
    check_a11y(page, "the import page")

    bad_rows = [dict(r) for r in rows]
    bad_rows[6]["email"] = "inte-en-adress"        # data row 7 is line 8 (line 1 is the header)
    bad_lines = csv_text(bad_rows).splitlines()
    bad_lines[21] = "e1021,Bo Kort,bo@example.se"   # line 22: too few fields
    bad_file = write_csv(tmp_path / "people-with-errors.csv", "\n".join(bad_lines) + "\n")
    page.get_by_label("CSV file").set_input_files(str(bad_file))
    page.get_by_role("button", name="Import").click()
    errors_section = page.get_by_role("region", name="2 errors in the file")
    expect(errors_section).to_be_visible()
    errors_table = errors_section.get_by_role("table")
    assert table_column(errors_table, 1) == ["8", "22"]
    assert table_column(errors_table, 2)[0] == "email"
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    expect(page.get_by_label("CSV file")).to_have_attribute("aria-invalid", "true")
    check_a11y(page, "the import page with the table of errors")

    main_menu(page).get_by_role("link", name="People").click()
    expect(page.get_by_text("0 people", exact=True)).to_be_visible()

    # -- the good file
    page.get_by_role("link", name="Import a CSV file").click()
    good_file = write_csv(tmp_path / "people.csv", csv_text(rows))
    page.get_by_label("CSV file").set_input_files(str(good_file))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status").filter(has_text="Imported: 40 new and 0 updated people.")).to_be_visible()
    expect(page.get_by_text("40 people", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Åsa Testsson 02", exact=True)).to_be_visible()
    check_a11y(page, "the list of people")

    # -- the pilot, wave 0: five people named by external id (a typo first)
    main_menu(page).get_by_role("link", name="Rollouts").click()
    page.get_by_role("link", name="Windows 11 i hela kommunen").click()
    page.get_by_role("link", name="Plan the pilot").click()
    expect(page.get_by_role("heading", level=1, name="Plan the pilot (wave 0)")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Pilot")
    check_a11y(page, "the form of the pilot")
    page.get_by_label("People by external id").fill(", ".join(pilot[:4] + ["e9999"]))
    page.get_by_role("button", name="Plan the wave").click()
    people_field = page.get_by_label("People by external id")
    expect(people_field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Unknown external ids: e9999.").first).to_be_visible()
    check_a11y(page, "the wave form with its errors")
    people_field.fill("\n".join(pilot))
    page.get_by_role("button", name="Plan the wave").click()
    expect(page).to_have_url(live_server(f"/rollouts/{KEY}/waves/0"))
    expect(page.get_by_role("heading", level=1, name=re.compile("^Wave 0: Pilot"))).to_be_visible()
    expect(preview_heading(page)).to_have_text(re.compile(r"\(5\)$"))
    preview_table = page.get_by_role("table", name="Preview")
    assert sorted(table_column(preview_table, 2)) == sorted(pilot)
    check_a11y(page, "the page of the planned pilot")

    # -- wave 1: one unit, cumulative 50 %
    page.get_by_role("navigation", name="Rollout").get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="Plan the next wave").click()
    expect(page.get_by_role("heading", level=1, name="Plan wave 1")).to_be_visible()
    check_a11y(page, "the form of wave 1")
    page.get_by_role("group", name="Units").get_by_role("checkbox", name=UNITS[0]).check()
    page.get_by_label("Cumulative percentage").fill("50")
    page.get_by_role("button", name="Plan the wave").click()
    expect(page).to_have_url(live_server(f"/rollouts/{KEY}/waves/1"))
    expect(preview_heading(page)).to_have_text(re.compile(rf"\({len(wave1)}\)$"))
    shown = set(table_column(page.get_by_role("table", name="Preview"), 2))
    assert shown == wave1
    assert not shown & set(pilot), "people of the pilot appear in wave 1's preview"
    check_a11y(page, "the page of wave 1")

    # -- wave 2: everybody else
    page.get_by_role("navigation", name="Rollout").get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="Plan the next wave").click()
    expect(page.get_by_role("heading", level=1, name="Plan wave 2")).to_be_visible()
    page.get_by_label("Cumulative percentage").fill("100")
    page.get_by_role("button", name="Plan the wave").click()
    expect(page).to_have_url(live_server(f"/rollouts/{KEY}/waves/2"))
    expect(preview_heading(page)).to_have_text(re.compile(rf"\({len(wave2)}\)$"))
    assert set(table_column(page.get_by_role("table", name="Preview"), 2)) == wave2
    check_a11y(page, "the page of wave 2")

    # -- the overview lists the three waves; starting wave 1 before the pilot is refused with the reason
    page.get_by_role("navigation", name="Rollout").get_by_role("link", name="Overview").click()
    check_a11y(page, "the overview with three waves")
    page.get_by_role("link", name=re.compile("^Wave 1:")).click()
    guard = "Wave 0 (Pilot) must be done, with a go decision, before this wave starts."
    start = page.get_by_role("button", name="Start the wave")
    expect(start).to_have_accessible_description(guard)
    start.click()
    expect(page.get_by_role("alert").filter(has_text=guard)).to_be_visible()
    expect(preview_heading(page)).to_be_visible()
    expect(page.get_by_text("Planned", exact=True).first).to_be_visible()
    check_a11y(page, "the page of wave 1 with the guard's message")

    # -- start the pilot: its members are fixed
    page.get_by_role("navigation", name="Rollout").get_by_role("link", name="Overview").click()
    page.get_by_role("link", name=re.compile("^Wave 0:")).click()
    page.get_by_role("button", name="Start the wave").click()
    expect(page.get_by_text("Its members are fixed now: the 5 people its selection takes today.")).to_be_visible()
    check_a11y(page, "the confirmation to start the pilot")
    page.get_by_role("button", name="Yes, start the wave").click()
    expect(page.get_by_role("status").filter(has_text="Wave 0 is now: active.")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Members (5)")).to_be_visible()
    assert sorted(table_column(page.get_by_role("table", name="Members"), 2)) == sorted(pilot)
    check_a11y(page, "the page of the active pilot")

    # wave 1's preview is the same now that the pilot's members are fixed
    page.get_by_role("navigation", name="Rollout").get_by_role("link", name="Overview").click()
    expect(page.get_by_text("5 members")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Wave 1:")).click()
    expect(preview_heading(page)).to_have_text(re.compile(rf"\({len(wave1)}\)$"))
    assert set(table_column(page.get_by_role("table", name="Preview"), 2)) == wave1
    page.get_by_role("navigation", name="Rollout").get_by_role("link", name="Overview").click()
    page.get_by_role("link", name=re.compile("^Wave 0:")).click()

    # -- the same page in Swedish
    page.get_by_role("link", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1, name=re.compile("0: Pilot"))).to_be_visible()
    members_heading = page.get_by_role("heading", level=2, name=re.compile(r"\(5\)$"))
    expect(members_heading).to_be_visible()
    if SWEDISH_CATALOG.exists():
        expect(members_heading).not_to_have_text("Members (5)")
    check_a11y(page, "the page of the active pilot in Swedish")


# --- the error summary with the keyboard only -------------------------------------------

def test_wave_form_errors_are_reachable_with_the_keyboard(page: Page, live_server, lead_user, check_a11y):
    with live_server.app.test_request_context():
        lead = accounts.authenticate(lead_user["email"], lead_user["password"])
        builders.make_rollout(KEY, lead)
        builders.make_people(3)
    page.goto(live_server("/login"))
    page.get_by_role("link", name="English").click()
    log_in(page, lead_user["email"], lead_user["password"])
    expect(page).to_have_url(live_server("/rollouts/"))
    page.goto(live_server(f"/rollouts/{KEY}/waves/new"))

    # empty the prefilled name and send the form with Enter
    tab_until(page, lambda e: e["id"] == "name")
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    expect(page).to_have_title(re.compile("^Error:"))
    name = page.locator("#name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("A name is required."))
    check_a11y(page, "the wave form submitted empty")

    # the summary comes before the form: Tab reaches its link first, Enter moves the focus to the field
    link = tab_until(page, lambda e: e["tag"] == "a" and e["text"].startswith("Name:"))
    assert link["text"] == "Name: A name is required."
    page.keyboard.press("Enter")
    expect(name).to_be_focused()
    page.keyboard.type("Pilot")
    page.keyboard.press("Enter")

    # now the selection is what is missing; its link leads to the people field
    expect(summary).to_contain_text("Choose at least one person")
    tab_until(page, lambda e: e["tag"] == "a" and e["text"].startswith("People by external id:"))
    page.keyboard.press("Enter")
    people = page.get_by_label("People by external id")
    expect(people).to_be_focused()
    expect(people).to_have_attribute("aria-invalid", "true")
    page.keyboard.type("p1 p2")
    tab_until(page, lambda e: e["tag"] == "button" and e["text"] == "Plan the wave")
    page.keyboard.press("Enter")
    # the form posts to its own address, which now ends in the #people the summary link added
    expect(page).to_have_url(re.compile(re.escape(live_server(f"/rollouts/{KEY}/waves/0")) + "(#.*)?$"))
    expect(preview_heading(page)).to_have_text(re.compile(r"\(2\)$"))


# --- without JavaScript -------------------------------------------------------------------

def test_csv_import_works_without_javascript(page_without_js: Page, live_server, lead_user, tmp_path):
    page = page_without_js
    with live_server.app.test_request_context():
        lead = accounts.authenticate(lead_user["email"], lead_user["password"])
        builders.make_rollout(KEY, lead)   # leading a rollout is what lets a user manage people
    page.goto(live_server("/login"))
    with page.expect_navigation():  # under load the click's navigation may take a while to land
        page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the switch has landed before logging in
    log_in(page, lead_user["email"], lead_user["password"])
    expect(page).to_have_url(live_server("/rollouts/"))
    main_menu(page).get_by_role("link", name="People").click()
    page.get_by_role("link", name="Import a CSV file").click()

    rows = people_rows(12)
    bad = csv_text(rows).replace("person3@example.se", "person3-at-example.se")
    page.get_by_label("CSV file").set_input_files(str(write_csv(tmp_path / "bad.csv", bad)))
    page.get_by_role("button", name="Import").click()
    errors_table = page.get_by_role("region", name="1 error in the file").get_by_role("table")
    assert table_column(errors_table, 1) == ["4"]

    page.get_by_label("CSV file").set_input_files(str(write_csv(tmp_path / "good.csv", csv_text(rows))))
    page.get_by_role("button", name="Import").click()
    expect(page).to_have_url(live_server("/people/"))
    expect(page.get_by_role("status").filter(has_text="Imported: 12 new and 0 updated people.")).to_be_visible()
    expect(page.get_by_text("12 people", exact=True)).to_be_visible()
