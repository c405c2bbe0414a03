"""Wins: the team shares what went well with later waves. A participant of a rollout that is not
anonymous is asked "may we share this?" (and only there); an answer without that yes cannot be a
win; a win shows on the rollout's wins page, the wave's results, the retrospective's Markdown, and
on the questionnaire and invitation of later waves, until it is withdrawn."""
from __future__ import annotations

import re
from datetime import timezone
from html import unescape

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from rollout.extensions import db
from rollout.models import AuditEvent, Notification, Person, ShareConsent, Win
from rollout.models.types import utcnow
from rollout.services import feedback, privacy, retention, retro, waves, wins
from rollout.services.errors import GuardFailed, NotFound

from . import builders

CAKE = "Cake with the service desk on day one"
SECRET = "My manager finally listened"
QUICK = "The install took ten minutes"


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def pilot_with_celebrations(lead, *, anonymous: bool = False, answering: int = 6):
    """A rollout whose pilot collects feedback: pil1 celebrates and says it may be shared, pil2
    celebrates without saying so, the others rate; wave 1 (unit Rest) is planned."""
    builders.make_people(6, unit="Pilot", prefix="pil")
    builders.make_people(3, unit="Rest", prefix="rest")
    rollout = builders.make_rollout("wins-2027", lead, anonymous=anonymous)
    pilot = builders.make_wave(rollout, lead, name="Pilot", units=["Pilot"])
    wave1 = builders.make_wave(rollout, lead, name="Wave 1", units=["Rest"])
    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    tokens = builders.wave_tokens(pilot)
    feedback.submit(tokens["pil1"], {"worked_day_one": "yes", "satisfaction": 5, "celebrate": CAKE, "went_well": QUICK}, share=["celebrate"])
    if answering > 1:
        feedback.submit(tokens["pil2"], {"worked_day_one": "yes", "satisfaction": 4, "celebrate": SECRET})
    for n in range(3, answering + 1):
        feedback.submit(tokens[f"pil{n}"], {"worked_day_one": "yes", "satisfaction": 4})
    return rollout, pilot, wave1, tokens


def ref_of(wave, lead, text: str) -> str:
    return next(t.id for t in retro.wave_evidence(wave, lead).texts if t.text == text)


def consent_label(language: str) -> str:
    with force_locale(language):
        return _("May we share this with later waves?")


def test_the_questionnaire_asks_may_we_share_under_what_went_well_only_where_the_rollout_is_not_anonymous(
        ctx, client, lead):
    _rollout, pilot, _wave1, tokens = pilot_with_celebrations(lead)
    page = text_of(client.get(f"/f/{tokens['pil3']}"))
    # in the person's language (Swedish), once under "went well" and once under "celebrate", unticked
    assert page.count(consent_label("sv")) == 2 == page.count('name="share"')
    assert "Får vi dela detta med kommande vågor?" in page
    assert 'value="celebrate" aria-describedby="share-celebrate-hint">' in page
    # pil1 said yes for the celebration: ticked when they come back, the other not
    again = text_of(client.get(f"/f/{tokens['pil1']}"))
    assert 'value="celebrate" aria-describedby="share-celebrate-hint" checked>' in again
    assert 'value="went_well" aria-describedby="share-went_well-hint">' in again

    anonymous_lead = builders.make_user("anna@example.se", "Anna Lead")
    builders.make_people(5, unit="Anon", prefix="anon")
    other = builders.make_rollout("anon-2027", anonymous_lead, anonymous=True)
    wave = builders.make_wave(other, anonymous_lead, name="Pilot", units=["Anon"])
    waves.transition(wave, "active", anonymous_lead)
    waves.transition(wave, "feedback", anonymous_lead)
    anonymous_page = text_of(client.get(f"/f/{builders.wave_tokens(wave)['anon1']}"))
    assert 'name="share"' not in anonymous_page and consent_label("sv") not in anonymous_page


def test_the_form_stores_the_consent_and_an_answer_without_it_cannot_be_a_win(ctx, client, english, lead):
    _rollout, pilot, _wave1, tokens = pilot_with_celebrations(lead)
    response = client.post(f"/f/{tokens['pil3']}", data={"q_satisfaction": "5", "q_worked_day_one": "yes", "q_celebrate": "Fika for everyone",
                                                           "share": "celebrate"})
    assert response.status_code == 303
    assert db.session.scalars(select(ShareConsent.code)).all().count("celebrate") == 2

    with pytest.raises(GuardFailed) as refused:
        wins.mark_answer(pilot, ref_of(pilot, lead, SECRET), lead)
    assert refused.value.guard == "no_consent"
    assert db.session.scalar(select(Win.id)) is None
    win = wins.mark_answer(pilot, ref_of(pilot, lead, "Fika for everyone"), lead)
    assert win.text == "Fika for everyone" and win.shown


def test_the_lead_marks_a_win_on_the_results_page_sees_it_on_the_wins_page_and_withdraws_it_after_confirming(
        client, auth, lead, english):
    rollout, pilot, _wave1, _tokens = pilot_with_celebrations(lead)
    auth.login()
    results = text_of(client.get(f"/rollouts/{rollout.key}/waves/0/results"))
    assert "Wins of this wave" in results and CAKE in results
    assert SECRET not in results  # no consent: not offered
    ref = ref_of(pilot, lead, CAKE)
    marked = client.post(f"/rollouts/{rollout.key}/wins/mark", data={
        "wave": "0", "source": "answer", "ref": ref, "next": f"/rollouts/{rollout.key}/waves/0/results"})
    assert marked.status_code == 302 and marked.headers["Location"].endswith("/waves/0/results")
    overview = text_of(client.get(f"/rollouts/{rollout.key}/results"))
    assert "What went well" in overview and CAKE in overview and "(the pilot)" in overview
    page = text_of(client.get(f"/rollouts/{rollout.key}/wins/"))
    assert CAKE in page and "The pilot" in page and "1 win" in page
    assert "Lena" not in re.search(r'<ul class="wins">.*?</ul>', page, re.S).group(0)  # never who wrote it
    assert 'href="/rollouts/wins-2027/wins/"' in page and 'aria-current="page">Wins</a>' in page

    # marking it twice says so, and changes nothing
    again = client.post(f"/rollouts/{rollout.key}/wins/mark", data={"wave": "0", "source": "answer", "ref": ref},
                        follow_redirects=True)
    assert "This is a win already." in text_of(again)
    assert len(db.session.scalars(select(Win)).all()) == 1

    win = db.session.scalar(select(Win))
    asked = client.post(f"/rollouts/{rollout.key}/wins/{win.id}/withdraw", data={})
    assert asked.status_code == 200 and "Withdraw this win?" in text_of(asked)
    db.session.expire_all()
    assert db.session.get(Win, win.id).shown
    done = client.post(f"/rollouts/{rollout.key}/wins/{win.id}/withdraw", data={"confirmed": "1"},
                       follow_redirects=True)
    assert "The win was withdrawn." in text_of(done) and CAKE not in text_of(done).split("Share a win")[0]
    db.session.expire_all()
    gone = db.session.get(Win, win.id)
    assert not gone.shown and gone.text == ""
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("win.%"))
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["win.mark", "win.withdraw"]
    log = text_of(client.get(f"/rollouts/{rollout.key}/audit"))
    assert "Shared a win of wave 0 with later waves" in log and "Withdrew a win of wave 0" in log


def test_the_wins_page_offers_what_may_be_shared_with_a_title_and_keeps_bad_input_out(client, auth, lead, english):
    rollout, pilot, _wave1, _tokens = pilot_with_celebrations(lead)
    auth.login()
    page = text_of(client.get(f"/rollouts/{rollout.key}/wins/?wave=0"))
    offered = page.split("Share a win")[1]
    assert CAKE in offered and SECRET not in offered and "Short title (optional)" in offered
    ref = ref_of(pilot, lead, CAKE)
    long = client.post(f"/rollouts/{rollout.key}/wins/mark", data={"wave": "0", "source": "answer", "ref": ref,
                                                                   "title": "x" * 121}, follow_redirects=True)
    assert "The win could not be saved." in text_of(long) and db.session.scalar(select(Win.id)) is None
    client.post(f"/rollouts/{rollout.key}/wins/mark", data={"wave": "0", "source": "answer", "ref": ref,
                                                            "title": "  Fika   on day one "})
    page = text_of(client.get(f"/rollouts/{rollout.key}/wins/"))
    assert "Fika on day one" in page and CAKE not in page.split("Share a win")[1]
    assert client.post(f"/rollouts/{rollout.key}/wins/mark", data={"wave": "7", "source": "card", "ref": "1"}
                       ).status_code == 404


def test_celebrate_cards_are_wins_without_consent_other_cards_are_not(ctx, lead):
    _rollout, pilot, _wave1, _tokens = pilot_with_celebrations(lead)
    waves.transition(pilot, "review", lead)
    party = retro.add_card(pilot, {"kind": "celebrate", "text": "The pilot group was brilliant"}, lead)
    worse = retro.add_card(pilot, {"kind": "better", "text": "Printers"}, lead)
    with pytest.raises(GuardFailed) as refused:
        wins.mark_card(pilot, worse.id, lead)
    assert refused.value.guard == "not_celebrated"
    copied = retro.card_from_answer(pilot, ref_of(pilot, lead, SECRET), "celebrate", lead)
    with pytest.raises(GuardFailed):
        wins.mark_card(pilot, copied.id, lead)  # a participant's words, without their yes
    win = wins.mark_card(pilot, party.id, lead, "A brilliant pilot")
    assert (win.source, win.text, win.title) == ("card", "The pilot group was brilliant", "A brilliant pilot")
    retro.update_card(party, {"text": "Changed later"}, lead)
    assert wins.for_wave(pilot)[0].text == "The pilot group was brilliant"  # the text as it was shared


def test_the_retrospective_board_offers_the_button_on_celebrate_cards_and_shared_answers(client, auth, lead, english):
    rollout, pilot, _wave1, _tokens = pilot_with_celebrations(lead)
    waves.transition(pilot, "review", lead)
    retro.add_card(pilot, {"kind": "celebrate", "text": "Balloons"}, lead)
    retro.add_card(pilot, {"kind": "better", "text": "Printers"}, lead)
    auth.login()
    board = text_of(client.get(f"/rollouts/{rollout.key}/waves/0/retro"))
    buttons = re.findall(r'Share as a win<span class="visually-hidden">: ([^<]*)</span>', board)
    assert sorted(buttons) == sorted(["Balloons", CAKE])


def test_an_anonymous_win_carries_no_name_no_language_no_time_of_day_and_none_below_k(ctx, api, lead):
    rollout, pilot, _wave1, tokens = pilot_with_celebrations(lead, anonymous=True, answering=3)
    # three answers, k is 5: the answers are hidden, so none can be shared
    with pytest.raises(NotFound):
        wins.mark_answer(pilot, ref_of_any(pilot, CAKE), lead)
    for n in (4, 5):
        feedback.submit(tokens[f"pil{n}"], {"worked_day_one": "yes", "satisfaction": 3})
    ref = ref_of(pilot, lead, SECRET)  # no consent is asked where the rollout is anonymous
    answer = api.post(f"/rollouts/{rollout.key}/wins", json={"source": "answer", "wave": 0, "id": ref})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["text"] == SECRET and body["marked_at"] is None and body["marked_on"] == utcnow().date().isoformat()
    assert "Person" not in str(body) and "pil" not in str(body) and "language" not in body
    stored = db.session.get(Win, body["id"])
    assert stored.marked_at.astimezone(timezone.utc).time().isoformat() == "00:00:00"
    assert db.session.scalar(select(ShareConsent.code)) is None  # nothing stored of anyone's consent


def ref_of_any(wave, text: str) -> str:
    """An answer's reference even while the evidence hides the answers (below k)."""
    from rollout.models import Answer
    answer_id = db.session.scalar(select(Answer.id).where(Answer.wave_id == wave.id, Answer.text == text))
    return retro.answer_ref(answer_id)


def test_the_next_waves_questionnaire_and_invitation_show_the_latest_wins_until_withdrawn(ctx, client, lead):
    rollout, pilot, wave1, _tokens = pilot_with_celebrations(lead)
    waves.transition(pilot, "review", lead)
    cake = wins.mark_answer(pilot, ref_of(pilot, lead, CAKE), lead, "Fika")
    for n in range(4):
        card = retro.add_card(pilot, {"kind": "went_well", "text": f"Good thing {n}"}, lead)
        wins.mark_card(pilot, card.id, lead)
    withdrawn = wins.latest_for(wave1)[0]
    wins.withdraw(withdrawn, lead)
    waves.decide(pilot, "go", "went well", lead)
    waves.transition(wave1, "active", lead)
    waves.transition(wave1, "feedback", lead)
    feedback.queue_invitations(wave1)
    latest = wins.latest_for(wave1)
    assert [w.text for w in latest] == ["Good thing 2", "Good thing 1", "Good thing 0"]  # the latest three
    assert wins.latest_for(pilot) == []  # nothing came before the pilot

    invitation = db.session.scalars(select(Notification).where(Notification.kind == "invitation",
                                                               Notification.wave_id == wave1.id)).first()
    assert "Det här gick bra före er" in invitation.body_html and "Good thing 2" in invitation.body_html
    assert "Det här gick bra före er" in invitation.body_text and "Good thing 0" in invitation.body_text
    assert "Good thing 3" not in invitation.body_text

    token = builders.wave_tokens(wave1)["rest1"]
    page = text_of(client.get(f"/f/{token}"))
    section = re.search(r'<section class="wins-before".*?</section>', page, re.S).group(0)
    assert "Det här gick bra före er" in section and "Good thing 2" in section and "(piloten)" in section
    client.get("/language/en")
    english_page = text_of(client.get(f"/f/{token}"))
    assert "What went well before you" in english_page
    for win in wins.latest_for(wave1):
        wins.withdraw(win, lead)
    assert [w.id for w in wins.latest_for(wave1)] == [cake.id]
    assert "Good thing" not in text_of(client.get(f"/f/{token}"))


def test_the_retrospective_markdown_lists_the_waves_wins(client, api, lead):
    rollout, pilot, _wave1, _tokens = pilot_with_celebrations(lead)
    wins.mark_answer(pilot, ref_of(pilot, lead, CAKE), lead, "Fika")
    markdown = client.get(f"/rollouts/{rollout.key}/waves/0/retro.md",
                          headers={"Authorization": f"Bearer {api.token}"}).get_data(as_text=True)
    section = markdown.split("## Vinster som delas med kommande vågor")[1].split("##")[0]
    assert f"**Fika**: {CAKE}" in section


def test_editing_an_answer_takes_back_the_consent_and_the_win(ctx, lead):
    _rollout, pilot, _wave1, tokens = pilot_with_celebrations(lead)
    wins.mark_answer(pilot, ref_of(pilot, lead, CAKE), lead)
    feedback.submit(tokens["pil1"], {"worked_day_one": "yes", "satisfaction": 5, "celebrate": CAKE}, share=["celebrate"])
    assert [w.text for w in wins.for_wave(pilot)] == [CAKE]  # the same text, still allowed
    feedback.submit(tokens["pil1"], {"worked_day_one": "yes", "satisfaction": 5, "celebrate": CAKE})
    assert wins.for_wave(pilot) == [] and db.session.scalar(select(Win.id)) is None


def test_retention_erases_wins_of_answers_and_erasure_those_of_the_person_whose_export_lists_them(ctx, lead):
    rollout, pilot, _wave1, tokens = pilot_with_celebrations(lead)
    feedback.submit(tokens["pil3"], {"worked_day_one": "yes", "satisfaction": 5, "celebrate": "Fika"}, share=["celebrate"])
    wins.mark_answer(pilot, ref_of(pilot, lead, CAKE), lead)
    wins.mark_answer(pilot, ref_of(pilot, lead, "Fika"), lead)
    waves.transition(pilot, "review", lead)
    card = retro.add_card(pilot, {"kind": "celebrate", "text": "Team cake"}, lead)
    wins.mark_card(pilot, card.id, lead)

    person = db.session.scalar(select(Person).where(Person.external_id == "pil1"))
    exported = privacy.export_person(person, lead)
    assert [(w["wave"], w["question"], w["text"]) for w in exported["wins"]] == [(0, "celebrate", CAKE)]
    assert [c["question"] for c in exported["share_consents"]] == ["celebrate"]
    counts = privacy.erase_person(person, lead)
    assert counts["wins"] == 1
    assert sorted(w.text for w in wins.for_wave(pilot)) == ["Fika", "Team cake"]

    retention.purge_texts(rollout, utcnow())
    db.session.commit()
    assert [w.text for w in wins.for_wave(pilot)] == ["Team cake"]  # the team's own card stays, as the card does
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.texts"))
    assert event.details["wins"] == 1


def test_the_api_lists_marks_and_withdraws_wins_and_refuses_what_may_not_be_shared(ctx, api, lead):
    rollout, pilot, _wave1, _tokens = pilot_with_celebrations(lead)
    path = f"/rollouts/{rollout.key}/wins"
    assert api.get(path).get_json() == {"items": [], "total": 0, "page": 1, "per_page": 50}
    refused = api.post(path, json={"source": "answer", "wave": 0, "id": ref_of(pilot, lead, SECRET)})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "guard_failed"
    assert "did not say this answer may be shared" in refused.get_json()["error"]["message"]
    assert api.post(path, json={"source": "answer", "id": "x"}).status_code == 422
    assert api.post(path, json={"source": "poem", "id": 1}).status_code == 422
    assert api.post(path, json={"source": "card", "id": 999999}).status_code == 404
    assert api.post(path, json={"source": "answer", "wave": 0, "id": "nonsense"}).status_code == 404
    marked = api.post(path, json={"source": "answer", "wave": 0, "id": ref_of(pilot, lead, CAKE), "title": "Fika"})
    assert marked.status_code == 201
    win = marked.get_json()
    assert (win["wave"], win["source"], win["question"], win["title"], win["text"]) == (0, "answer", "celebrate",
                                                                                      "Fika", CAKE)
    assert win["marked_by"] == "Lena Lead" and win["marked_at"] is not None
    listed = api.get(path).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == win["id"]
    assert api.client.delete(f"/api/v1{path}/{win['id']}",
                             headers={"Authorization": f"Bearer {api.token}"}).status_code == 204
    assert api.get(path).get_json()["total"] == 0
    assert api.client.delete(f"/api/v1{path}/{win['id']}",
                             headers={"Authorization": f"Bearer {api.token}"}).status_code == 404
    # a reviewer of another rollout is told the rollout does not exist
    other = builders.make_user("olle@example.se", "Olle Other")
    headers = {"Authorization": f"Bearer {builders.make_token(other)}"}
    assert api.client.get(f"/api/v1{path}", headers=headers).status_code == 404


def test_the_api_submit_takes_the_consent_and_refuses_codes_that_cannot_be_shared(ctx, client, lead):
    _rollout, pilot, _wave1, tokens = pilot_with_celebrations(lead)
    bad = client.post(f"/api/v1/feedback/{tokens['pil4']}", json={"answers": {"worked_day_one": "yes", "satisfaction": 3},
                                                                   "share": ["satisfaction"]})
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "share"
    assert db.session.scalar(select(ShareConsent.code).where(ShareConsent.code == "satisfaction")) is None
    ok = client.post(f"/api/v1/feedback/{tokens['pil4']}", json={
        "answers": {"worked_day_one": "yes", "satisfaction": 3, "went_well": "Good coffee"}, "share": ["went_well"]})
    assert ok.status_code == 200
    assert wins.mark_answer(pilot, ref_of(pilot, lead, "Good coffee"), lead).text == "Good coffee"
