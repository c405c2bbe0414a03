"""A wave's retrospective in the web UI: the evidence it opens with, the board
(cards, votes, themes), lessons carried into the wave, and the Markdown export."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import insert, select

from rollout.extensions import db
from rollout.models import Answer, Lesson, ProblemReport, Response, RetroCard, RetroTheme, User
from rollout.services import lessons, retro, rollouts, tallies, waves

from . import builders
from .helpers import counting_queries, text_of

RETRO = "/rollouts/win11-2027/waves/0/retro"


@pytest.fixture
def reviewer(ctx):
    return builders.make_user("rita@example.se", "Rita Reviewer")


def fresh(model, ident):
    """The row as the requests left it (they wrote in their own sessions)."""
    db.session.expire_all()
    return db.session.get(model, ident)


def cards_of(wave) -> list[RetroCard]:
    db.session.expire_all()
    return list(db.session.scalars(select(RetroCard).where(RetroCard.wave_id == wave.id).order_by(RetroCard.id)))


def visible_text(html: str) -> str:
    """The page's text without tags, so that a phrase split by markup can be found."""
    return text_of(re.sub(r"</?(?:span|strong|a)\b[^>]*>", "", html))  # inline: no space in their place


def two_waves(lead):
    """A pilot that went badly, a lesson applied for wave 1 with satisfaction as its metric,
    and wave 1 answered well and in review."""
    rollout, pilot, wave1, lesson = builders.lesson_applied_for_wave1(lead, "Better information before the change")
    builders.answer_wave(wave1, [5, 4, 5, 4, 5, 5, 4, 5, 4, 5, 5, 4, 4, 5, 5, 4, 5, 4, 5, 5],
                         texts={"went_well": ["Clear instructions"]})
    waves.transition(wave1, "review", lead)
    return rollout, pilot, wave1, lesson


# --- the page and its evidence ----------------------------------------------------------

def test_the_page_shows_the_waves_evidence_in_swedish_and_in_english(client, auth, ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    # reported while the pilot ran (the builder has already closed its feedback)
    db.session.add_all([ProblemReport(wave_id=pilot.id, category="printing", severity="blocker",
                                      description="No printer at all"),
                        ProblemReport(wave_id=pilot.id, category="printing", severity="minor", description="Slow"),
                        ProblemReport(wave_id=pilot.id, category="network", severity="major", description="Wi-Fi")])
    db.session.commit()
    auth.login()
    swedish = client.get(RETRO)
    assert swedish.status_code == 200
    html = swedish.get_data(as_text=True)
    text = visible_text(html)
    assert '<html lang="sv">' in html
    assert "Vad kunde ha varit bättre? The printer did not work Person winpil1" in text  # not an anonymous rollout
    assert "Utskrifter 2 33.3" in text and "Stoppfel Utskrifter No printer at all" in text
    client.get("/language/en")
    html = client.get(RETRO).get_data(as_text=True)
    assert '<html lang="en">' in html
    text = visible_text(html)
    assert "Retrospective of wave 0: Pilot" in text
    assert "What could have been better? The printer did not work Person winpil1" in text
    assert "Make a card (could be better): The printer did not work" in text
    # problems by category, most first, with counts per 100 members; the most serious reports first
    assert "Printing 2 33.3 Network 1 16.7" in text
    assert text.index("No printer at all") < text.index("Wi-Fi") < text.index("Slow")
    assert "You have 5 of 5 votes left." in text
    assert "nothing to compare with yet" in text  # the pilot has no previous wave
    # the answers filtered by question
    filtered = visible_text(client.get(RETRO + "?code=went_well").get_data(as_text=True))
    assert "Quick install" in filtered and "The printer did not work" not in filtered and "2 answers" in filtered


def test_the_answers_come_a_page_at_a_time(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    text_answers(pilot, 45)
    first = visible_text(logged_in.get(RETRO + "?code=went_well").get_data(as_text=True))
    assert "47 answers" in first and "Page 1 of 3" in first
    third = logged_in.get(RETRO + "?code=went_well&page=3").get_data(as_text=True)
    assert "Page 3 of 3" in visible_text(third) and third.count('<li id="answer-') == 7
    # a form sent from the third page comes back to it
    card = logged_in.post(RETRO + "/cards?code=went_well&page=3", data={"kind": "idea", "text": "x"})
    assert "code=went_well" in card.headers["Location"] and "page=3" in card.headers["Location"]


def test_the_wave_page_links_to_the_retrospective_once_it_is_open(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    assert 'href="/rollouts/win11-2027/waves/0/retro"' in logged_in.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert "/waves/1/retro" not in logged_in.get("/rollouts/win11-2027/waves/1").get_data(as_text=True)
    page = logged_in.get("/rollouts/win11-2027/waves/1/retro")
    assert page.status_code == 200 and "opens when the wave starts collecting feedback" in page.get_data(as_text=True)
    assert 'id="board-title"' not in page.get_data(as_text=True)
    refused = logged_in.post("/rollouts/win11-2027/waves/1/retro/cards", data={"kind": "idea", "text": "Early"},
                             follow_redirects=True)
    assert "opens when the wave starts collecting feedback" in refused.get_data(as_text=True)
    assert cards_of(wave1) == []


def test_what_changed_since_the_previous_wave_and_the_lessons_carried_into_it(logged_in, lead):
    rollout, pilot, wave1, lesson = two_waves(lead)
    html = logged_in.get("/rollouts/win11-2027/waves/1/retro").get_data(as_text=True)
    text = visible_text(html)
    assert "What changed since wave 0" in text
    changes = re.search(r'<table class="retro-changes">.*?</table>', html, re.S).group(0)
    row = visible_text(re.search(r"<tr class=\"change-better\">.*?</tr>", changes, re.S).group(0))
    # satisfied share: 0 % of 6 in the pilot, 100 % of 20 now, with intervals, and the words for it
    assert row.startswith("How satisfied are you with the change overall? (share)")
    assert "0 % (0–39 %)" in row and "100 % (84–100 %)" in row
    assert "+100 percentage points" in row and row.endswith("better")
    assert "0 percentage points (−16 to +39) unclear – too few answers to tell" in text  # worked on day one
    # the lesson carried into the wave, with its metric before and after and the proposal
    carried = visible_text(re.search(r'<li id="lesson-\d+".*?</li>', html, re.S).group(0))
    assert "Better information before the change" in carried and "Status Applied" in carried
    assert "Before (wave 0) 0 % (0–39 %)" in carried and "After (this wave) 100 % (84–100 %)" in carried
    assert "The evidence proposes effective" in carried
    assert "Verified effective: Better information before the change" in carried


def test_confirming_a_verification_changes_the_lessons_status(logged_in, lead):
    rollout, pilot, wave1, lesson = two_waves(lead)
    response = logged_in.post(f"/rollouts/win11-2027/waves/1/retro/lessons/{lesson.id}/verify",
                              data={"outcome": "effective"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#lesson-{lesson.id}")
    changed = fresh(Lesson, lesson.id)
    assert changed.status == "verified_effective" and changed.verification["confirmed"] == "effective"
    html = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "is now: verified: effective" in html.lower() and "Verified effective:" not in visible_text(html)
    # a verified lesson cannot be verified again: the guard's reason comes back as a message
    again = logged_in.post(f"/rollouts/win11-2027/waves/1/retro/lessons/{lesson.id}/verify",
                           data={"outcome": "ineffective"}, follow_redirects=True)
    assert "cannot go from" in again.get_data(as_text=True) and fresh(Lesson, lesson.id).status == "verified_effective"


def test_a_lesson_is_not_verified_before_its_wave_is_in_review(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead, pilot_size=6, rest=8)
    lesson = lessons.create_lesson(rollout, {"title": "Brief the desk", "origin_wave": 0, "metric": "satisfaction"},
                                   lead)
    lessons.update_lesson(lesson, {"status": "applied"}, lead)
    waves.decide(pilot, "go", "ok", lead)
    waves.transition(wave1, "active", lead)
    waves.transition(wave1, "feedback", lead)
    page = visible_text(logged_in.get("/rollouts/win11-2027/waves/1/retro").get_data(as_text=True))
    assert "Brief the desk" in page and "Verified effective" not in page
    response = logged_in.post(f"/rollouts/win11-2027/waves/1/retro/lessons/{lesson.id}/verify",
                              data={"outcome": "effective"}, follow_redirects=True)
    assert "verified in its target wave" in response.get_data(as_text=True)
    assert fresh(Lesson, lesson.id).status == "applied"


def test_an_anonymous_rollout_shows_answers_without_names_and_hides_a_small_group(logged_in, lead):
    client = logged_in
    rollout, pilot, wave1 = builders.pilot_in_review(lead, anonymous=True)
    html = client.get(RETRO).get_data(as_text=True)
    assert "The printer did not work" in html and "Quick install" in html
    assert "Person " not in html and "winpil" not in html
    builders.pilot_in_review(lead, anonymous=True, key="tiny-2027", ratings=(3, 4, 3), pilot_size=3, rest=2)
    html = client.get("/rollouts/tiny-2027/waves/0/retro").get_data(as_text=True)
    assert "The answers are hidden" in html and "The printer did not work" not in html
    assert "/retro/answers/" not in html


# --- cards ------------------------------------------------------------------------------

def test_adding_a_card_shows_it_and_an_empty_card_shows_the_error_next_to_the_field(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    response = logged_in.post(RETRO + "/cards", data={"kind": "better", "text": "The printer queue was slow"})
    [card] = cards_of(pilot)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#card-{card.id}")
    html = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "The card is on the board." in html
    column = re.search(r'<section aria-labelledby="column-better".*?</section>', html, re.S).group(0)
    assert "The printer queue was slow" in column and "By Lena Lead" in column
    response = logged_in.post(RETRO + "/cards", data={"kind": "idea", "text": "   "})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="text-error"' in html and "Write something on the card" in html
    assert 'aria-invalid="true"' in html and 'href="#text"' in html  # the error summary links to the field
    assert len(cards_of(pilot)) == 1


def test_a_card_is_made_from_a_participants_answer_without_their_name(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    answer = retro.wave_evidence(pilot, lead).texts[0]
    response = logged_in.post(f"{RETRO}/answers/{answer.id}/card", data={"kind": answer.suggested_kind})
    [card] = cards_of(pilot)
    assert (card.text, card.kind, card.source) == (answer.text, answer.suggested_kind, "participant")
    html = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    item = visible_text(re.search(rf'<li class="retro-card[^"]*" id="card-{card.id}">.*?</li>', html, re.S).group(0))
    assert answer.text in item and "From a participant’s answer" in item and answer.respondent not in item


def test_a_card_can_be_edited_and_deleted(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "idea", "text": "A video guide"}, lead)
    prefix = f"card-{card.id}"
    logged_in.post(f"{RETRO}/cards/{card.id}", data={f"{prefix}-kind": "celebrate", f"{prefix}-text": "Videos!"})
    assert (fresh(RetroCard, card.id).kind, fresh(RetroCard, card.id).text) == ("celebrate", "Videos!")
    failed = logged_in.post(f"{RETRO}/cards/{card.id}", data={f"{prefix}-kind": "idea", f"{prefix}-text": ""})
    html = failed.get_data(as_text=True)
    assert failed.status_code == 422 and f'id="{prefix}-text-error"' in html
    assert re.search(r'<details class="card-edit" open>\s*<summary>Edit', html)  # the form with the error is open
    assert fresh(RetroCard, card.id).text == "Videos!"
    retro.vote(card, lead)
    page = logged_in.post(f"{RETRO}/cards/{card.id}/delete", data={"confirmed": "1"},
                          follow_redirects=True).get_data(as_text=True)
    assert cards_of(pilot) == [] and "The card was deleted." in page
    assert "You have 5 of 5 votes left." in visible_text(page)  # the dot on it came back


# --- votes -------------------------------------------------------------------------------

def test_votes_up_to_the_budget_then_a_refusal_and_taking_one_back(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "better", "text": "Printing"}, lead)
    response = logged_in.post(RETRO + "/budget", data={"vote_budget": "2"}, follow_redirects=True)
    assert "You have 2 of 2 votes left." in visible_text(response.get_data(as_text=True))
    for left in (1, 0):
        page = logged_in.post(f"{RETRO}/cards/{card.id}/vote", follow_redirects=True).get_data(as_text=True)
        assert f"You have {left} of 2 votes left." in visible_text(page)
    assert fresh(RetroCard, card.id).votes == 2
    item = visible_text(re.search(rf'id="card-{card.id}">.*?</li>', page, re.S).group(0))
    assert "2 votes · 2 of them yours" in item
    assert "Vote for: Printing" in item and "Take a vote back from: Printing" in item
    refused = logged_in.post(f"{RETRO}/cards/{card.id}/vote", follow_redirects=True).get_data(as_text=True)
    assert "You have used all your 2 votes" in refused and fresh(RetroCard, card.id).votes == 2
    page = logged_in.post(f"{RETRO}/cards/{card.id}/unvote", follow_redirects=True).get_data(as_text=True)
    assert "You have 1 of 2 votes left." in visible_text(page) and fresh(RetroCard, card.id).votes == 1
    bad = logged_in.post(RETRO + "/budget", data={"vote_budget": "zero"})
    assert bad.status_code == 422 and 'id="vote_budget-error"' in bad.get_data(as_text=True)


# --- themes ------------------------------------------------------------------------------

def test_chosen_cards_go_into_a_new_theme_then_an_existing_one_then_out(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    a, b, c = (retro.add_card(pilot, {"kind": "better", "text": text}, lead)
               for text in ("Printer in room 3", "Printer drivers", "Scanner too"))
    html = logged_in.get(RETRO).get_data(as_text=True)
    assert f'<input type="checkbox" name="cards" value="{a.id}" id="choose-{a.id}" form="group-form">' in html
    assert f'<label for="choose-{a.id}">Choose<span class="visually-hidden"> the card: <span lang="sv">Printer in room 3</span></span>' in html
    # a new theme without a title: the error next to the field, the chosen cards still chosen
    failed = logged_in.post(RETRO + "/group", data={"cards": [str(a.id), str(b.id)], "target": "new", "title": ""})
    html = failed.get_data(as_text=True)
    assert failed.status_code == 422 and 'id="title-error"' in html and "Give the theme a title" in html
    assert f'value="{a.id}" id="choose-{a.id}" form="group-form" checked>' in html
    response = logged_in.post(RETRO + "/group", data={"cards": [str(a.id), str(b.id)], "target": "new",
                                                     "title": "Printing"})
    theme = db.session.scalar(select(RetroTheme).where(RetroTheme.wave_id == pilot.id))
    assert response.headers["Location"].endswith(f"#theme-{theme.id}")
    assert {card.id: card.theme_id for card in cards_of(pilot)} == {a.id: theme.id, b.id: theme.id, c.id: None}
    logged_in.post(RETRO + "/group", data={"cards": [str(c.id)], "target": str(theme.id)})
    assert all(card.theme_id == theme.id for card in cards_of(pilot))
    html = logged_in.get(RETRO).get_data(as_text=True)
    block = visible_text(html.split(f'id="theme-{theme.id}">')[1].split('<h3 id="loose-title"')[0])
    assert block.startswith("Printing 0 votes") and "Scanner too" in block and "Printer drivers" in block
    assert f'href="/rollouts/win11-2027/lessons/new?theme={theme.id}"' in html
    nothing = logged_in.post(RETRO + "/group", data={"target": str(theme.id)})
    assert nothing.status_code == 422 and "Choose the cards to move" in nothing.get_data(as_text=True)
    logged_in.post(RETRO + "/group", data={"cards": [str(a.id)], "target": "none"})
    assert fresh(RetroCard, a.id).theme_id is None


def test_the_board_refuses_more_cards_for_a_theme_than_the_api_does(logged_in, lead):
    """One limit for the UI and the API (services.retro.MAX_THEME_CARDS), with the API's message."""
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "better", "text": "Printer in room 3"}, lead)
    too_many = [str(card.id)] * (retro.MAX_THEME_CARDS + 1)
    for target in ("new", "none"):
        response = logged_in.post(RETRO + "/group", data={"cards": too_many, "target": target, "title": "Printing"})
        assert response.status_code == 422 and "At most 1000 cards." in response.get_data(as_text=True), target
    assert db.session.scalar(select(RetroTheme).where(RetroTheme.wave_id == pilot.id)) is None
    assert fresh(RetroCard, card.id).theme_id is None


def test_a_theme_is_renamed_deleted_and_lists_the_lessons_made_of_it(logged_in, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "better", "text": "Printer"}, lead)
    theme = retro.create_theme(pilot, {"title": "Printers", "cards": [card.id]}, lead)
    lesson = lessons.create_lesson(rollout, {"action": "New drivers"}, lead, theme=theme)
    prefix = f"theme-{theme.id}"
    logged_in.post(f"{RETRO}/themes/{theme.id}", data={f"{prefix}-title": "Printing at the office"})
    assert fresh(RetroTheme, theme.id).title == "Printing at the office"
    html = logged_in.get(RETRO).get_data(as_text=True)
    # the lesson keeps the theme's title, in the rollout's language (Swedish here, on an English page)
    assert f'<a href="/rollouts/win11-2027/lessons/{lesson.id}"><span lang="sv">Printers</span></a>' in html
    failed = logged_in.post(f"{RETRO}/themes/{theme.id}", data={f"{prefix}-title": " "})
    assert failed.status_code == 422 and f'id="{prefix}-title-error"' in failed.get_data(as_text=True)
    logged_in.post(f"{RETRO}/themes/{theme.id}/delete", data={"confirmed": "1"})
    assert fresh(RetroTheme, theme.id) is None and fresh(RetroCard, card.id).theme_id is None
    assert fresh(Lesson, lesson.id).theme_id is None  # the lesson stays, without its theme


# --- who may take part -------------------------------------------------------------------

def test_a_reviewer_takes_part_and_someone_outside_the_team_gets_404(client, auth, ctx, lead, reviewer):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    outsider = builders.make_user("out@example.se", "Out Sider")
    auth.login(reviewer.email)
    page = client.get(RETRO).get_data(as_text=True)
    assert 'id="board-title"' in page and 'id="budget-title"' not in page  # leads set the budget
    assert client.post(RETRO + "/cards", data={"kind": "idea", "text": "A FAQ page"}).status_code == 302
    [card] = cards_of(pilot)
    assert card.author_id == reviewer.id
    assert client.post(RETRO + "/budget", data={"vote_budget": "9"}).status_code == 403
    auth.logout()
    auth.login(outsider.email)
    assert client.get(RETRO).status_code == 404
    assert client.post(RETRO + "/cards", data={"kind": "idea", "text": "x"}).status_code == 404
    assert client.post(f"{RETRO}/cards/{card.id}/vote").status_code == 404
    assert client.get(RETRO + ".md").status_code == 404
    assert len(cards_of(pilot)) == 1 and fresh(RetroCard, card.id).votes == 0


# --- the Markdown export -----------------------------------------------------------------

MALICIOUS = "# Hacked\n\n[click here](http://evil.example) ![x](http://evil.example/x.png) <script>alert(1)</script>"


def test_the_markdown_export_holds_the_whole_retrospective_and_escapes_card_texts(client, auth, ctx, lead):
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    good = retro.add_card(pilot, {"kind": "went_well", "text": "Friendly support"}, lead)
    bad = retro.add_card(pilot, {"kind": "better", "text": MALICIOUS}, lead)
    retro.add_card(pilot, {"kind": "idea", "text": "1. A FAQ *page*"}, lead)
    theme = retro.create_theme(pilot, {"title": "Support", "cards": [good.id, bad.id]}, lead)
    for _ in range(2):
        retro.vote(good, lead)
    lesson = lessons.create_lesson(rollout, {"action": "Keep the desk staffed", "owner": lead.email,
                                             "metric": "satisfaction"}, lead, theme=theme)
    waves.decide(pilot, "go", "Good enough for wave 1", lead)
    auth.login()
    response = client.get(RETRO + ".md?lang=en")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert 'filename="win11-2027-wave-0-retro.md"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("# Retrospective of wave 0: Pilot – Rollout win11-2027\n")
    assert "- Invited: 6" in text and "- Responded: 6" in text and "Response rate: 100 % (61–100 %)" in text
    assert "### Support (2 votes)" in text
    assert "- Went well: Friendly support (2 votes)" in text
    assert "### Idea\n\n- 1\\. A FAQ \\*page\\* (0 votes)" in text
    assert f"**{lesson.title}** (Open)" in text and "What to do: Keep the desk staffed" in text
    assert "Owner: Lena Lead" in text and "Target wave: Wave 1" in text
    assert "**go**" in text and "Good enough for wave 1" in text
    # the malicious card is one line of plain text: no heading, link, image or HTML comes out of it
    [line] = [line for line in text.splitlines() if "Hacked" in line]
    assert line.startswith("- Could be better: \\# Hacked \\[click here\\](http://evil.example) \\!\\[x\\]")
    assert "&lt;script&gt;" in line
    assert "<script>" not in text and "\n# Hacked" not in text and "[click here](" not in text
    swedish = client.get(RETRO + ".md").get_data(as_text=True)
    assert "- Vågens läge: Klar" in swedish and "- State of the wave: Done" in text


def test_the_markdown_export_carries_the_verification_of_lessons(logged_in, lead):
    rollout, pilot, wave1, lesson = two_waves(lead)
    lessons.update_lesson(lesson, {"status": "verified_effective"}, lead, "en")
    text = logged_in.get("/rollouts/win11-2027/waves/1/retro.md").get_data(as_text=True)
    carried = text.split("## Lessons carried into this wave")[1].split("## ")[0]
    assert "**Better information before the change** (Verified: effective)" in carried
    assert "Before: 0 % (0–39 %)" in carried and "After: 100 % (84–100 %)" in carried
    assert "The evidence proposes: effective" in carried and "Confirmed by the team: effective" in carried


def test_the_markdown_export_takes_a_bearer_token_and_refuses_without_one(client, ctx, lead):
    builders.pilot_in_review(lead)
    token = builders.make_token(lead)
    assert client.get(RETRO + ".md").status_code == 401
    assert client.get(RETRO + ".md", headers={"Authorization": "Bearer wrong"}).status_code == 401
    response = client.get(RETRO + ".md", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("# ")


# --- a fixed number of queries ------------------------------------------------------------

def text_answers(wave, count: int) -> None:
    """`count` responses, each with a free-text answer, written straight to the tables."""
    rows = [{"wave_id": wave.id, "questionnaire_id": wave.questionnaire_id, "respondent_key": f"text-{i}",
             "language": "sv"} for i in range(count)]
    ids = db.session.scalars(insert(Response).returning(Response.id), rows).all()
    db.session.execute(insert(Answer), [{"response_id": rid, "wave_id": wave.id, "code": "went_well",
                                         "text": f"Answer number {i}"} for i, rid in enumerate(ids)])
    tallies.rebuild(wave.id)
    wave.responses_count += count
    wave.members_count = max(wave.members_count, wave.responses_count)
    db.session.commit()


def test_the_page_runs_the_same_queries_with_5_and_with_60_cards_and_answers(client, auth, ctx, lead):
    auth.login()
    counts = []
    for size in (5, 60):
        key = f"q-{size}"
        builders.make_people(3, prefix=f"{key}-")
        rollout = builders.make_rollout(key, lead=lead)
        wave = builders.make_wave(rollout, lead, percentage=100)
        waves.transition(wave, "active", lead)
        waves.transition(wave, "feedback", lead)
        text_answers(wave, size)
        made = [retro.add_card(wave, {"kind": ("went_well", "better", "celebrate", "idea")[i % 4],
                                      "text": f"Card {i}"}, lead) for i in range(size)]
        # a different author for every few cards: their names must not cost a query each
        authors = db.session.scalars(insert(User).returning(User.id), [
            {"email": f"{key}-{i}@example.se", "name": f"Author {key} {i}", "password_hash": "!"}
            for i in range(size // 5 + 1)]).all()
        for i, card in enumerate(made):
            card.author_id = authors[i % len(authors)]
        db.session.commit()
        one = retro.create_theme(wave, {"title": "One", "cards": [c.id for c in made[: size // 2]]}, lead)
        retro.create_theme(wave, {"title": "Two", "cards": [c.id for c in made[size // 2: size - 1]]}, lead)
        lessons.create_lesson(rollout, {"action": "Act on it"}, lead, theme=one)
        for card in made[:3]:
            retro.vote(card, lead)
        with counting_queries() as seen:
            response = client.get(f"/rollouts/{key}/waves/0/retro")
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and f"Card {size - 1}" in html and f"Author {key} {size // 5}" in html
        counts.append(len(seen))
    assert counts[0] == counts[1], f"{counts[0]} queries with 5 cards and answers, {counts[1]} with 60"


# --- accessibility and CSRF ----------------------------------------------------------------

class Structure(HTMLParser):
    """Ids, labels, controls, headings and button names of a page."""

    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.labelled: set[str] = set()
        self.controls: list[dict] = []
        self.headings: list[int] = []
        self.buttons: list[str] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.labelled.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.controls.append(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "button":
            self._button = []

    def handle_data(self, data):
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self.buttons.append(" ".join("".join(self._button).split()))
            self._button = None


def test_the_page_has_unique_ids_labelled_controls_ordered_headings_and_distinct_buttons(logged_in, lead):
    rollout, pilot, wave1, lesson = two_waves(lead)
    cards = [retro.add_card(wave1, {"kind": kind, "text": f"Card {kind}"}, lead)
             for kind in ("went_well", "better", "celebrate", "idea")]
    retro.create_theme(wave1, {"title": "Printing", "cards": [cards[0].id, cards[1].id]}, lead)
    retro.vote(cards[0], lead)
    html = logged_in.get("/rollouts/win11-2027/waves/1/retro").get_data(as_text=True)
    page = Structure()
    page.feed(html)
    assert len(page.ids) == len(set(page.ids)), sorted({i for i in page.ids if page.ids.count(i) > 1})
    unlabelled = [c for c in page.controls if c.get("id") not in page.labelled and "aria-label" not in c]
    assert unlabelled == []
    assert page.headings[0] == 1 and all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False))
    # every card's buttons say which card they act on
    votes = [b for b in page.buttons if b.startswith("Vote")]
    assert len(votes) == 4 and len(set(votes)) == 4 and "Vote for: Card went_well" in votes
    assert "Take a vote back from: Card went_well" in page.buttons
    assert len(page.buttons) == len(set(page.buttons)), sorted(b for b in page.buttons if page.buttons.count(b) > 1)


def test_every_form_of_the_board_works_with_csrf_protection_on(database_url, tmp_path, app, ctx, lead):
    from .conftest import make_app
    strict = make_app(database_url, WTF_CSRF_ENABLED=True, SECRET_KEY="x")
    strict.instance_path = str(tmp_path)
    client = strict.test_client()
    rollout, pilot, wave1 = builders.pilot_in_review(lead)
    card = retro.add_card(pilot, {"kind": "better", "text": "Printing"}, lead)

    def token(html: str, name: str = "csrf_token") -> str:
        return re.search(rf'name="{name}"[^>]*value="([^"]+)"', html).group(1)

    login = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": lead.email, "password": builders.PASSWORD, "csrf_token": token(login)})
    html = client.get(RETRO).get_data(as_text=True)
    assert client.post(f"{RETRO}/cards/{card.id}/vote").status_code == 400  # no token: refused
    assert client.post(f"{RETRO}/cards/{card.id}/vote", data={"csrf_token": token(html)}).status_code == 302
    prefix = f"card-{card.id}"
    edited = client.post(f"{RETRO}/cards/{card.id}", data={f"{prefix}-csrf_token": token(html, f"{prefix}-csrf_token"),
                                                           f"{prefix}-kind": "idea", f"{prefix}-text": "Print less"})
    assert edited.status_code == 302
    assert client.post(RETRO + "/group", data={"csrf_token": token(html), "cards": [str(card.id)], "target": "new",
                                               "title": "Paper"}).status_code == 302
    changed = fresh(RetroCard, card.id)
    assert (changed.votes, changed.text, changed.kind, changed.theme_id is not None) == (1, "Print less", "idea", True)
