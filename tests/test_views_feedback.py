"""The lead's and the administrator's side of feedback in the web UI: the
questionnaire editor, problem triage, responses and personal links on the wave
page, rollout settings, and the e-mail outbox."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import AuditEvent, FeedbackLink, Notification, Person, ProblemReport, Questionnaire, Rollout, Wave
from rollout.services import feedback, questionnaires, reconcile, waves
from rollout.services import rollouts as rollout_service
from rollout.services.errors import ValidationFailed

from . import builders
from .helpers import queries_for

ANSWERS = {"satisfaction": 4, "worked_day_one": "yes"}


@pytest.fixture
def reviewer(ctx):
    return builders.make_user("reviewer@example.se", "Rita Reviewer")


# --- helpers -----------------------------------------------------------------

class FormReader(HTMLParser):
    """What a browser would send for the form posting to `action`: every named
    input, checked box, chosen option and text area, as the page renders them."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, []
        self._select = self._textarea = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("method", "get").lower() == "post" and a.get("action") == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((a["name"], a.get("value", "y")))
            else:
                self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # a browser drops the one newline that follows <textarea>
            self.fields.append((self._textarea, self._text[1:] if self._text.startswith("\n") else self._text))
            self._textarea = None


def form_data(html: str, action: str) -> dict:
    reader = FormReader(action)
    reader.feed(html)
    assert reader.fields, f"no form posting to {action}"
    return dict(reader.fields)


def wave_collecting_feedback(lead, *, people: int = 5, anonymous: bool = False, key: str = "win11-2027",
                             unit: str = "Enhet A", prefix: str = "p") -> Wave:
    builders.make_people(people, unit=unit, prefix=prefix)
    rollout = builders.make_rollout(key, lead=lead, anonymous=anonymous)
    wave = builders.make_wave(rollout, lead, units=[unit], percentage=100)
    waves.transition(wave, "active", lead)
    waves.transition(wave, "feedback", lead)
    reconcile.tick()  # the invitations are written by the tick
    return wave


def link_of(wave: Wave, external_id: str) -> FeedbackLink:
    return db.session.scalar(select(FeedbackLink).join(Person, Person.id == FeedbackLink.person_id)
                             .where(FeedbackLink.wave_id == wave.id, Person.external_id == external_id))


def token_of(link: FeedbackLink) -> str:
    return feedback.link_url(link).rsplit("/", 1)[1]


def answer(wave: Wave, external_id: str, answers: dict | None = None) -> None:
    feedback.submit(token_of(link_of(wave, external_id)), answers or ANSWERS)


def editor_url(key: str = "win11-2027") -> str:
    return f"/rollouts/{key}/questionnaire/"


def codes(rollout) -> list[str]:
    db.session.expire_all()
    return [q.code for q in questionnaires.current(rollout).questions]


# --- the questionnaire editor ---------------------------------------------------

def test_the_editor_adds_edits_removes_and_reorders_questions_as_a_new_version(logged_in, lead):
    wave = wave_collecting_feedback(lead)  # opened feedback with version 1
    rollout = wave.rollout
    page = logged_in.get(editor_url())
    assert page.status_code == 200
    data = form_data(page.get_data(as_text=True), editor_url())
    assert data["questions-0-code"] == "satisfaction" and data["questions-6-code"] == "hours_lost"
    assert data["questions-6-min"] == "0" and data["questions-6-max"] == "200"
    assert data["questions-7-code"] == ""  # the empty fieldset that adds a question
    data["questions-0-prompt_en"] = "All in all, how happy are you with the change?"
    data["questions-3-remove"] = "y"                      # went_well goes
    data["questions-6-position"] = "1"                    # hours_lost moves to the top
    data.update({"questions-7-code": "device", "questions-7-kind": "choice",
                 "questions-7-prompt_sv": "Vilken dator har du?", "questions-7-prompt_en": "Which computer do you have?",
                 "questions-7-options": "laptop | Bärbar | Laptop\n\ndesktop | Stationär | Desktop\n",
                 "questions-7-required": "y"})
    response = logged_in.post(editor_url(), data=data, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Version 2 saved" in html and "keep the version they opened with" in html
    assert codes(rollout) == ["hours_lost", "satisfaction", "worked_day_one", "information",
                              "could_be_better", "celebrate", "device"]
    current = questionnaires.current(rollout)
    assert current.version == 2
    by_code = {q.code: q for q in current.questions}
    assert by_code["satisfaction"].prompt_en == "All in all, how happy are you with the change?"
    assert by_code["device"].required and by_code["device"].options == [
        {"value": "laptop", "sv": "Bärbar", "en": "Laptop"}, {"value": "desktop", "sv": "Stationär", "en": "Desktop"}]
    assert by_code["hours_lost"].max_value == 200
    # the wave keeps the version it opened feedback with, and the page says which
    db.session.refresh(wave)
    assert wave.questionnaire_id == db.session.scalar(select(Questionnaire.id).where(
        Questionnaire.rollout_id == rollout.id, Questionnaire.version == 1))
    assert re.search(r"Wave 0: .*?</a></td>\s*<td>.*?</td>\s*<td>version 1</td>", html, re.S)
    assert "Questions in version 2" in html
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "questionnaire.save")) == 1
    # sending the same questions again makes no version 3
    again = form_data(logged_in.get(editor_url()).get_data(as_text=True), editor_url())
    response = logged_in.post(editor_url(), data=again, follow_redirects=True)
    assert "still version 2" in response.get_data(as_text=True)
    assert questionnaires.current(rollout).version == 2


def test_bad_questions_are_refused_next_to_their_fields_and_nothing_is_saved(logged_in, lead):
    rollout = builders.make_rollout(lead=lead)
    data = form_data(logged_in.get(editor_url()).get_data(as_text=True), editor_url())
    data["questions-0-prompt_sv"] = "   "                 # no Swedish text
    data["questions-2-remove"] = "y"                      # removed: the service sees one question less ...
    data["questions-4-code"] = "Could Be Better"          # ... so its problem 3 is fieldset 4
    data["questions-6-min"] = "10"
    data["questions-6-max"] = "5"
    data["questions-6-position"] = "1"                    # first for the service, still fieldset 6 here
    data.update({"questions-7-code": "device", "questions-7-kind": "choice", "questions-7-prompt_sv": "Dator?",
                 "questions-7-prompt_en": "Computer?", "questions-7-options": "pc | PC | PC\n\npc | Mac | Mac"})
    response = logged_in.post(editor_url(), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and "Nothing was saved" in html and "<title>Error:" in html
    assert 'id="questions-0-prompt_sv-error"' in html and 'aria-invalid="true"' in html
    assert re.search(r'id="questions-4-code-error">.*?lower-case letters', html, re.S)
    assert 'id="questions-3-code-error"' not in html
    assert re.search(r'id="questions-6-max-error">.*?smaller than the smallest', html, re.S)
    assert re.search(r'id="questions-7-options-error">.*?Line 3:', html, re.S)  # the line as written
    for target in ("questions-0-prompt_sv", "questions-4-code", "questions-6-max", "questions-7-options"):
        assert f'href="#{target}"' in html
    # what the lead typed is still there, with a fresh fieldset to add another question
    assert 'value="Could Be Better"' in html and 'name="questions-8-code"' in html
    assert questionnaires.current(rollout).version == 1
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 1

    data = form_data(logged_in.get(editor_url()).get_data(as_text=True), editor_url())
    data["questions-1-position"] = "first"
    response = logged_in.post(editor_url(), data=data)
    assert response.status_code == 422 and 'id="questions-1-position-error"' in response.get_data(as_text=True)
    data = {k: v for k, v in data.items() if not k.startswith("questions-")} | {
        f"questions-{i}-remove": "y" for i in range(7)}
    data.update({f"questions-{i}-code": c for i, c in enumerate(codes(rollout))})
    response = logged_in.post(editor_url(), data=data)
    assert response.status_code == 422 and "at least one question" in response.get_data(as_text=True)
    assert questionnaires.current(rollout).version == 1


def test_reviewers_read_the_questionnaire_but_cannot_change_it(english, auth, lead, reviewer):
    rollout = builders.make_rollout(lead=lead)
    rollout_service.set_role(rollout, reviewer.email, "reviewer", lead)
    auth.login(reviewer.email)
    page = english.get(editor_url())
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "How satisfied are you with the change overall?" in html
    assert "Hur nöjd är du med bytet som helhet?" in html and "Save as a new version" not in html
    assert 'name="questions-0-code"' not in html
    data = {"questions-0-code": "satisfaction", "questions-0-kind": "rating", "questions-0-prompt_sv": "Nöjd?",
            "questions-0-prompt_en": "Happy?"}
    assert english.post(editor_url(), data=data).status_code == 403
    assert questionnaires.current(rollout).version == 1


# --- problem triage ---------------------------------------------------------------

def _report(wave, external_id, severity, description, category="login"):
    return feedback.report_problem(token_of(link_of(wave, external_id)),
                                   {"category": category, "severity": severity, "description": description})


def test_leads_triage_problems_and_the_change_is_audited(logged_in, lead):
    wave = wave_collecting_feedback(lead)
    minor = _report(wave, "p1", "minor", "The printer is slow.", "printing")
    blocker = _report(wave, "p2", "blocker", "I cannot log in at all.")
    html = logged_in.get("/rollouts/win11-2027/problems/").get_data(as_text=True)
    assert html.index("I cannot log in at all.") < html.index("The printer is slow.")  # blockers first
    assert "Login and access" in html and "Printing" in html and "Person p2" in html
    url = f"/rollouts/win11-2027/problems/{blocker.id}/status"
    response = logged_in.post(url, data={f"report-{blocker.id}-status": "acknowledged",
                                         f"report-{blocker.id}-note": "Reset the account."})
    assert response.status_code == 302 and f"#report-{blocker.id}" in response.headers["Location"]
    db.session.expire_all()
    report = db.session.get(ProblemReport, blocker.id)
    assert report.status == "acknowledged" and report.note == "Reset the account."
    event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "problem.triage"))
    assert event_.actor.email == lead.email and event_.details == {"from": "new", "to": "acknowledged"}
    # filters: by status and by wave
    page = logged_in.get("/rollouts/win11-2027/problems/?status=acknowledged").get_data(as_text=True)
    assert "I cannot log in at all." in page and "The printer is slow." not in page
    page = logged_in.get("/rollouts/win11-2027/problems/?wave=0&status=new").get_data(as_text=True)
    assert "The printer is slow." in page and "1 problem report" in page
    # an unknown status is refused next to the field of that report
    response = logged_in.post(f"/rollouts/win11-2027/problems/{minor.id}/status",
                              data={f"report-{minor.id}-status": "closed"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="report-{minor.id}-status-error"' in html and f'href="#report-{minor.id}-status"' in html
    db.session.expire_all()
    assert db.session.get(ProblemReport, minor.id).status == "new"
    # a report is triaged only through its own rollout
    builders.make_rollout("other", lead=lead)
    response = logged_in.post(f"/rollouts/other/problems/{minor.id}/status",
                              data={f"report-{minor.id}-status": "resolved"})
    assert response.status_code == 404
    # the wave page counts the open blocker and links to the list
    wave_page = logged_in.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert re.search(r'href="/rollouts/win11-2027/problems/\?wave=0" id="open-blockers">1 open blocker<', wave_page)


def test_reviewers_read_problems_but_cannot_triage(english, auth, lead, reviewer):
    wave = wave_collecting_feedback(lead)
    rollout_service.set_role(wave.rollout, reviewer.email, "reviewer", lead)
    report = _report(wave, "p1", "major", "Teams crashes.", "software")
    auth.login(reviewer.email)
    html = english.get("/rollouts/win11-2027/problems/").get_data(as_text=True)
    assert "Teams crashes." in html and f'name="report-{report.id}-status"' not in html
    response = english.post(f"/rollouts/win11-2027/problems/{report.id}/status",
                            data={f"report-{report.id}-status": "resolved"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(ProblemReport, report.id).status == "new"


def test_anonymous_rollouts_do_not_name_reporters(logged_in, lead):
    wave = wave_collecting_feedback(lead, anonymous=True)
    _report(wave, "p1", "minor", "The font is small.", "software")
    html = logged_in.get("/rollouts/win11-2027/problems/").get_data(as_text=True)
    assert "The font is small." in html and "Reported by" not in html and "Person p1" not in html


# --- the wave page: responses, answered, personal links -----------------------------

def test_the_wave_page_shows_responses_and_who_answered(logged_in, lead):
    wave = wave_collecting_feedback(lead)
    answer(wave, "p1")
    answer(wave, "p3")
    html = logged_in.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert "2 of 5 members have answered (40%)" in html
    assert "Feedback closes" in html and ">version 1</a>" in html
    assert '<th scope="col">Answered</th>' in html
    answered = dict(re.findall(r"<tr><td>(Person p\d)</td>.*?<td class=\"answered\">(yes|no)</td>", html, re.S))
    assert answered == {"Person p1": "yes", "Person p2": "no", "Person p3": "yes", "Person p4": "no",
                        "Person p5": "no"}
    assert html.count(">Send a new link</button>") == 5 and html.count(">Revoke link</button>") == 5


def test_the_answered_column_is_hidden_in_anonymous_rollouts(logged_in, lead):
    wave = wave_collecting_feedback(lead, anonymous=True)
    answer(wave, "p2")
    html = logged_in.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert "1 of 5 members have answered (20%)" in html
    assert "Answered</th>" not in html and 'class="answered"' not in html


def test_the_wave_page_before_feedback_has_no_feedback_facts(logged_in, lead):
    builders.make_people(3)
    rollout = builders.make_rollout(lead=lead)
    wave = builders.make_wave(rollout, lead, percentage=100)
    waves.transition(wave, "active", lead)
    html = logged_in.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    assert "Members (3)" in html and "have answered" not in html and "Send a new link" not in html


def test_sending_a_new_link_stops_the_old_one_and_queues_an_email(logged_in, lead):
    wave = wave_collecting_feedback(lead)
    old_token = token_of(link_of(wave, "p2"))
    person_id = link_of(wave, "p2").person_id
    response = logged_in.post(f"/rollouts/win11-2027/waves/0/members/{person_id}/new-link",
                              data={"confirmed": "1"}, follow_redirects=True)
    assert response.status_code == 200 and "A new link is on its way to Person p2" in response.get_data(as_text=True)
    db.session.expire_all()
    with pytest.raises(feedback.LinkNotValid):
        feedback.visit(old_token)
    new_token = token_of(link_of(wave, "p2"))
    assert new_token != old_token and feedback.visit(new_token).person.external_id == "p2"
    mail = db.session.scalars(select(Notification).where(Notification.kind == "new_link")).all()
    assert [(m.to_address, m.person_id) for m in mail] == [("p2@example.se", person_id)]
    assert new_token in mail[0].body_text
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "link.renew")) == "link.renew"
    # revoking stops the link without a new one
    response = logged_in.post(f"/rollouts/win11-2027/waves/0/members/{person_id}/revoke-link",
                              data={"confirmed": "1"}, follow_redirects=True)
    assert "no longer works" in response.get_data(as_text=True)
    db.session.expire_all()
    with pytest.raises(feedback.LinkNotValid):
        feedback.visit(new_token)
    html = response.get_data(as_text=True)
    assert html.count(">Revoke link</button>") == 4 and "revoked" in html


def test_reviewers_cannot_send_or_revoke_links(english, auth, lead, reviewer):
    wave = wave_collecting_feedback(lead)
    rollout_service.set_role(wave.rollout, reviewer.email, "reviewer", lead)
    link = link_of(wave, "p1")
    token, person_id = token_of(link), link.person_id
    auth.login(reviewer.email)
    html = english.get("/rollouts/win11-2027/waves/0").get_data(as_text=True)
    # a reviewer reads the wave's figures, not who its members are
    assert "Answered</th>" not in html and "Send a new link" not in html and "Personal link" not in html
    assert "leads only" in html and "Person p1" not in html
    assert english.post(f"/rollouts/win11-2027/waves/0/members/{person_id}/new-link").status_code == 403
    assert english.post(f"/rollouts/win11-2027/waves/0/members/{person_id}/revoke-link").status_code == 403
    db.session.expire_all()
    assert feedback.visit(token).person.external_id == "p1"
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "new_link")) == 0


def test_the_wave_page_runs_as_many_queries_for_60_members_as_for_5(logged_in, lead):
    small = wave_collecting_feedback(lead, people=5, key="small", unit="Small", prefix="s")
    large = wave_collecting_feedback(lead, people=60, key="large", unit="Large", prefix="l")
    for wave, prefix, n in ((small, "s", 5), (large, "l", 60)):
        for i in range(1, n + 1):
            answer(wave, f"{prefix}{i}")
        _report(wave, f"{prefix}1", "blocker", "Stuck.")
    small_html = logged_in.get("/rollouts/small/waves/0").get_data(as_text=True)
    large_html = logged_in.get("/rollouts/large/waves/0").get_data(as_text=True)
    assert "5 of 5 members have answered" in small_html and "60 of 60 members have answered" in large_html
    assert large_html.count('<td class="answered">yes</td>') == 50  # one page of members
    assert queries_for(logged_in, "/rollouts/small/waves/0") == queries_for(logged_in, "/rollouts/large/waves/0")


# --- rollout settings ------------------------------------------------------------------

def test_leads_set_reminder_days_and_the_anonymity_threshold(logged_in, lead):
    rollout = builders.make_rollout(lead=lead)
    page = logged_in.get("/rollouts/win11-2027/edit").get_data(as_text=True)
    assert 'name="reminder_days"' in page and 'value="2"' in page and 'name="anonymity_k"' in page
    response = logged_in.post("/rollouts/win11-2027/edit", data={"name": rollout.name, "reminder_days": 31,
                                                                 "anonymity_k": 1})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="reminder_days-error"' in html and 'id="anonymity_k-error"' in html
    response = logged_in.post("/rollouts/win11-2027/edit", data={"name": rollout.name, "reminder_days": 0,
                                                                 "anonymity_k": 7})
    assert response.status_code == 302
    db.session.expire_all()
    rollout = db.session.scalar(select(Rollout))
    assert (rollout.reminder_days, rollout.anonymity_k) == (0, 7)
    update = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rollout.update"))
    assert update.details == {"reminder_days": 0, "anonymity_k": 7}


def test_update_rollout_checks_the_settings(ctx, lead):
    rollout = builders.make_rollout(lead=lead)
    with pytest.raises(ValidationFailed) as error:
        rollout_service.update_rollout(rollout, {"name": "R", "reminder_days": "soon", "anonymity_k": 51}, lead)
    assert set(error.value.field_errors()) == {"reminder_days", "anonymity_k"}
    # the API's partial update keeps what it does not mention
    rollout_service.update_rollout(rollout, {"name": "R2"}, lead)
    assert (rollout.name, rollout.reminder_days, rollout.anonymity_k) == ("R2", 2, 5)


# --- the e-mail outbox --------------------------------------------------------------------

def test_admins_read_the_outbox_and_each_message(english, auth, lead, admin):
    wave = wave_collecting_feedback(lead, people=3)
    link = link_of(wave, "p1")
    auth.login(admin.email)
    html = english.get("/admin/outbox").get_data(as_text=True)
    assert "3 messages" in html and "p1@example.se" in html and "Invitation" in html
    assert english.get("/admin/outbox?kind=reminder").get_data(as_text=True).count("p1@example.se") == 0
    message = db.session.scalar(select(Notification).where(Notification.person_id == link.person_id))
    page = english.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert message.subject in page and "Personal links are hidden here" in page
    # the link is the participant's credential: not even an admin reads it
    assert feedback.link_url(link) not in page and feedback.link_url(link).rsplit("/", 1)[1] not in page
    assert english.get("/admin/outbox/999999").status_code == 404


def test_only_admins_see_the_outbox(logged_in, lead):
    wave_collecting_feedback(lead, people=2)
    message = db.session.scalar(select(Notification))
    assert logged_in.get("/admin/outbox").status_code == 403
    assert logged_in.get(f"/admin/outbox/{message.id}").status_code == 403


def test_the_rollout_navigation_leads_to_questionnaire_and_problems(logged_in, lead):
    builders.make_rollout(lead=lead)
    html = logged_in.get("/rollouts/win11-2027").get_data(as_text=True)
    assert 'href="/rollouts/win11-2027/questionnaire/"' in html and 'href="/rollouts/win11-2027/problems/"' in html
    assert logged_in.get("/rollouts/win11-2027/problems/").status_code == 200


def test_leads_edit_the_problem_categories(logged_in, ctx, lead):
    from rollout.services import questionnaires
    rollout = builders.make_rollout("cat-2027", lead=lead)
    page = logged_in.get("/rollouts/cat-2027/edit").get_data(as_text=True)
    assert "printing | Utskrifter | Printing" in page
    base = {"name": "Cats", "reminder_days": 2, "anonymity_k": 5}
    response = logged_in.post("/rollouts/cat-2027/edit", data={**base, "categories_text": "Bad Code | X | Y"})
    assert response.status_code == 422 and 'id="categories_text-error"' in response.get_data(as_text=True)
    logged_in.post("/rollouts/cat-2027/edit",
                   data={**base, "categories_text": "login | Inloggning | Login\nvpn | Fjärranslutning | VPN"})
    db.session.expire_all()
    assert [c["code"] for c in questionnaires.categories(rollout)] == ["login", "vpn"]
