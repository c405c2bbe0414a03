"""Who may call which route: the table tests/test_roles.py checks. Each endpoint of the URL map
has an access class (or one per method); each class says what every kind of caller gets."""
from __future__ import annotations

from typing import Any

CALLERS = ("anonymous", "participant", "no_role", "reviewer_b", "reviewer_a", "lead_a", "creator",
           "people_manager", "council", "admin")
SIGNED_IN = ("no_role", "reviewer_b", "reviewer_a", "lead_a", "creator", "people_manager", "council", "admin")


def _signed_in(ok: tuple[str, ...], refused: str) -> dict[str, str]:
    """Anyone signed out is sent to sign in; of those signed in, `ok` may, the others get `refused`."""
    table = {"anonymous": "login", "participant": "login"}
    table.update({name: "ok" if name in ok else refused for name in SIGNED_IN})
    return table


CLASSES: dict[str, dict[str, str]] = {
    # anyone, signed in or not
    "public": {name: "ok" for name in CALLERS},
    # the personal link is the credential: only its holder gets in (everyone else has no link)
    "participant": {name: "ok" if name == "participant" else "hidden" for name in CALLERS},
    "signed_in": _signed_in(SIGNED_IN, "forbidden"),
    "admin": _signed_in(("admin",), "forbidden"),
    # the directory: people managers see everyone, a lead the people of their own waves
    "people_reader": _signed_in(("lead_a", "people_manager", "admin"), "forbidden"),
    "people_manager": _signed_in(("people_manager", "admin"), "forbidden"),
    "rollout_creator": _signed_in(("lead_a", "creator", "admin"), "forbidden"),
    # the ideas from the floor, with their proposers' names: the council (digi-råd) and admins
    "council": _signed_in(("council", "admin"), "forbidden"),
    # rollout A: its team (lead and reviewers) and admins; to everyone else it does not exist
    "team_a": _signed_in(("reviewer_a", "lead_a", "admin"), "hidden"),
    "lead_a": {**_signed_in(("lead_a", "admin"), "hidden"), "reviewer_a": "forbidden"},
    # a background job (the people manager's import for rollout A): who started it, A's lead, admins
    "job_a": _signed_in(("lead_a", "people_manager", "admin"), "hidden"),
}

ACCESS: dict[str, str | dict[str, str]] = {
    "static": "public",
    "main.index": "public",
    "main.language": "public",
    "auth.login": "public",
    "auth.logout": "signed_in",
    "auth.password": "signed_in",
    "public.privacy": "public",
    "public.accessibility": "public",
    # ideas from the floor: anyone sends or supports one; the council triages
    "ideas.new": "public",
    "ideas.thanks": "public",
    "ideas.similar": "public",
    "ideas.board": "council",
    "ideas.units": "council",
    "ideas.show": "council",
    "ideas.decision": "council",
    "api.send_idea": "public",
    "api.similar_ideas": "public",
    "api.support_idea": "public",
    "api.list_ideas": "council",
    "api.get_idea": "council",
    "api.decide_idea": "council",
    # the participant's pages and API
    "feedback.form": "participant",
    "feedback.problem": "participant",
    "feedback.problem_sent": "participant",
    "feedback.thanks": "participant",
    "feedback.checkin": "participant",
    "feedback.checkin_thanks": "participant",
    "api.open_checkin": "participant",
    "api.answer_checkin": "participant",
    "api.feedback_form": "participant",
    "api.submit_feedback": "participant",
    "api.report_problem": "participant",
    "api.health": "public",
    "api.openapi_json": "public",
    # administration
    "admin.audit_log": "admin",
    "admin.outbox": "admin",
    "admin.message": "admin",
    "admin.revoke_token": "admin",
    "admin.units": "admin",
    "admin.users": "admin",
    "admin.user": "admin",
    "admin.toggle_active": "admin",
    "admin.organisation_roles": "admin",
    # people
    "people.index": "people_reader",
    "people.edit": "people_manager",
    "people.new": "people_manager",
    "people.import_csv": "people_manager",
    "api.list_people": "people_reader",
    "api.upsert_people": "people_manager",
    "api.import_people": "people_manager",
    "jobs.index": "signed_in",
    "jobs.show": "job_a",
    "jobs.cancel": "job_a",
    "api.list_jobs": "signed_in",
    "api.get_job": "job_a",
    "api.cancel_job": "job_a",
    # a person's data: export and erasure
    "privacy.export_person": "people_manager",
    "privacy.erase_person": "people_manager",
    "api.export_person": "people_manager",
    "api.erase_person": "people_manager",
    "privacy.retention_settings": "admin",
    # rollouts
    "rollouts.index": "signed_in",
    "rollouts.new": "rollout_creator",
    "api.list_rollouts": "signed_in",
    "api.create_rollout": "rollout_creator",
    "rollouts.show": "team_a",
    "rollouts.audit_log": "team_a",
    "rollouts.edit": "lead_a",
    "rollouts.team": {"GET": "team_a", "POST": "lead_a"},
    "rollouts.remove_member": "lead_a",
    "api.get_rollout": "team_a",
    "api.update_rollout": "lead_a",
    "api.set_rollout_gate": "lead_a",
    # questionnaire, problems
    "questionnaire.show": "team_a",
    "questionnaire.save": "lead_a",
    "api.get_questionnaire": "team_a",
    "api.save_questionnaire": "lead_a",
    "problems.index": "team_a",
    "problems.triage": "lead_a",
    "api.list_problems": "team_a",
    "api.triage_problem": "lead_a",
    # waves
    "waves.show": "team_a",
    "waves.new": "lead_a",
    "waves.edit": "lead_a",
    "waves.transition": "lead_a",
    "waves.decision": "lead_a",
    "waves.new_link": "lead_a",
    "waves.revoke_link": "lead_a",
    "api.list_waves": "team_a",
    "api.get_wave": "team_a",
    "api.create_wave": "lead_a",
    "api.update_wave": "lead_a",
    "api.transition": "lead_a",
    "api.decision": "lead_a",
    "api.members": "lead_a",
    "api.preview": "lead_a",
    # a wave's check-ins: the team reads them, the lead plans them
    "checkins.add": "lead_a",
    "checkins.edit": "lead_a",
    "checkins.delete": "lead_a",
    "api.list_checkins": "team_a",
    "api.get_checkin": "team_a",
    "api.create_checkin": "lead_a",
    "api.update_checkin": "lead_a",
    "api.delete_checkin": "lead_a",
    # results, gates, charts, exports
    "results.results": "team_a",
    "results.wave": "team_a",
    "results.chart": "team_a",
    "exports.responses_csv": "team_a",
    "exports.rollout_json": "team_a",
    "results.gate": "lead_a",
    "api.results_of_rollout": "team_a",
    "api.results_of_wave": "team_a",
    "api.gate_of_wave": "team_a",
    "api.decisions": "team_a",
    "api.set_wave_gate": "lead_a",
    # retrospectives: the whole team takes part
    "retro.show": "team_a",
    "retro.markdown": "team_a",
    "retro.card_from_answer": "team_a",
    "retro.budget": "lead_a",
    "retro.add_card": "team_a",
    "retro.edit_card": "team_a",
    "retro.delete_card": "team_a",
    "retro.vote": "team_a",
    "retro.unvote": "team_a",
    "retro.group": "team_a",
    "retro.rename_theme": "team_a",
    "retro.delete_theme": "team_a",
    "retro.verify_lesson": "team_a",
    "api.get_retro": "team_a",
    "api.list_cards": "team_a",
    "api.add_card": "team_a",
    "api.get_card": "team_a",
    "api.update_card": "team_a",
    "api.delete_card": "team_a",
    "api.vote": "team_a",
    "api.unvote": "team_a",
    "api.create_theme": "team_a",
    "api.get_theme": "team_a",
    "api.rename_theme": "team_a",
    "api.delete_theme": "team_a",
    # lessons: the team keeps them; the library is everyone's
    "lessons.library": "signed_in",
    "lessons.rollout_lessons": "team_a",
    "lessons.show": "team_a",
    "lessons.new": "team_a",
    "lessons.status": "team_a",
    "lessons.verify": "team_a",
    "lessons.delete": "team_a",
    "lessons.carry": "team_a",
    "api.library": "signed_in",
    "api.get_lesson": "team_a",
    "api.update_lesson": "team_a",
    "api.delete_lesson": "team_a",
    "api.verification": "team_a",
    "api.list_lessons": "team_a",
    "api.create_lesson": "team_a",
    "api.carry": "team_a",
    "api.suggestions": "team_a",
    # wins: the team shares them with later waves
    "wins.index": "team_a",
    "wins.mark": "team_a",
    "wins.withdraw": "team_a",
    "api.list_wins": "team_a",
    "api.mark_win": "team_a",
    "api.withdraw_win": "team_a",
}

# valid bodies, so that a refused write would really have changed something
BODIES: dict[tuple[str, str], Any] = {
    ("api.upsert_people", "POST"): {"people": [{"external_id": "n1", "name": "N", "email": "n@example.se"}]},
    ("api.create_rollout", "POST"): {"key": "new-2027", "name": "New"},
    ("api.update_rollout", "PATCH"): {"name": "Renamed"},
    ("api.set_rollout_gate", "PUT"): {"min_satisfied": 0.7},
    ("api.save_questionnaire", "PUT"): {"questions": [{"code": "satisfaction", "kind": "rating",
                                                       "prompt": {"sv": "Nöjd?", "en": "Satisfied?"}}]},
    ("api.triage_problem", "PATCH"): {"status": "acknowledged", "note": "Vi tittar"},
    ("api.create_wave", "POST"): {"name": "Wave", "selection": {"percentage": 10}},
    ("api.update_wave", "PATCH"): {"name": "Renamed"},
    ("api.transition", "POST"): {"to": "done"},
    ("api.decision", "POST"): {"decision": "go", "rationale": "Vi såg det själva"},
    ("api.set_wave_gate", "PUT"): {"min_response_rate": 0.4},
    ("api.add_card", "POST"): {"kind": "went_well", "text": "Bra"},
    ("api.update_card", "PATCH"): {"text": "Ändrad"},
    ("api.create_theme", "POST"): {"title": "Tema"},
    ("api.rename_theme", "PATCH"): {"title": "Nytt namn"},
    ("api.update_lesson", "PATCH"): {"title": "Ny titel"},
    ("api.create_lesson", "POST"): {"title": "Ny lärdom", "action": "Gör så"},
    ("api.submit_feedback", "POST"): {"answers": {"satisfaction": 4}},
    ("api.create_checkin", "POST"): {"day": 5},
    ("api.update_checkin", "PATCH"): {"day": 6},
    ("api.answer_checkin", "POST"): {"answers": {"going": 4}},
    ("api.send_idea", "POST"): {"name": "Siv", "email": "siv@example.se", "unit": "Pilot", "problem": "Skrivaren",
                                "idea": "Ny skrivare", "reach": "up_to_10"},
    ("api.support_idea", "POST"): {"name": "Per", "email": "per@example.se", "unit": "Rest"},
    ("api.decide_idea", "POST"): {"decision": "review"},
    ("api.report_problem", "POST"): {"category": "printing", "severity": "minor", "description": "Skrivaren"},
    ("api.mark_win", "POST"): lambda world: {"source": "card", "id": world["args"]["celebrate_card"]},
}
RAW: dict[tuple[str, str], tuple[str, bytes]] = {
    ("api.import_people", "POST"): ("text/csv", b"external_id,name,email,unit\nn1,Ny,n1@example.se,Pilot\n"),
}
FORMS: dict[tuple[str, str], Any] = {
    ("people.edit", "POST"): {"external_id": "r1", "name": "Ändrad", "email": "r1@example.se", "unit": "Rest",
                              "language": "sv", "attributes": ""},
    ("people.import_csv", "POST"): {"file": b"external_id,name,email,unit\nn1,Ny,n1@example.se,Pilot\n"},
    ("people.new", "POST"): {"external_id": "n1", "name": "Ny", "email": "n1@example.se", "language": "sv"},
    ("rollouts.new", "POST"): {"key": "new-2027", "name": "New"},
    ("rollouts.edit", "POST"): {"name": "Renamed", "reminder_days": "2", "anonymity_k": "5", "vote_budget": "5"},
    ("rollouts.team", "POST"): {"email": "none@example.se", "role": "reviewer"},
    # confirmed=1: the second step of an action that cannot be undone (the first only asks)
    ("waves.transition", "POST"): {"to": "cancelled", "confirmed": "1"},
    ("waves.decision", "POST"): {"decision": "go", "rationale": "Vi såg det själva", "confirmed": "1"},
    ("waves.new_link", "POST"): {"confirmed": "1"},
    ("waves.revoke_link", "POST"): {"confirmed": "1"},
    ("retro.delete_card", "POST"): {"confirmed": "1"},
    ("retro.delete_theme", "POST"): {"confirmed": "1"},
    ("lessons.delete", "POST"): {"confirmed": "1"},
    ("admin.revoke_token", "POST"): {"confirmed": "1"},
    ("admin.toggle_active", "POST"): {"confirmed": "1"},
    ("rollouts.remove_member", "POST"): {"confirmed": "1"},
    ("jobs.cancel", "POST"): {"confirmed": "1"},
    ("wins.withdraw", "POST"): {"confirmed": "1"},
    ("wins.mark", "POST"): lambda world: {"wave": "1", "source": "card", "ref": str(world["args"]["celebrate_card"])},
    ("retro.add_card", "POST"): {"kind": "went_well", "text": "Bra"},
    ("retro.edit_card", "POST"): {"kind": "better", "text": "Ändrad"},
    ("retro.rename_theme", "POST"): {"title": "Nytt namn"},
    ("retro.budget", "POST"): {"vote_budget": "3"},
    ("lessons.new", "POST"): {"title": "Ny lärdom", "action": "Gör så"},
    ("lessons.status", "POST"): {"status": "planned"},
    ("admin.users", "POST"): {"email": "new@example.se", "name": "Ny", "password": "x" * 12, "language": "sv"},
    ("admin.units", "POST"): {"name": "Ny enhet"},
    ("admin.user", "POST"): {"name": "token"},
    ("admin.organisation_roles", "POST"): {"is_people_manager": "y"},
    ("problems.triage", "POST"): {"status": "acknowledged", "note": "Vi tittar"},
    ("feedback.form", "POST"): {"satisfaction": "4"},
    ("feedback.checkin", "POST"): {"checkin-q_going": "4"},
    ("checkins.add", "POST"): {"day": "5", "q1_kind": "rating", "q1_code": "going", "q1_sv": "Hur går det?",
                               "q1_en": "How is it going?"},
    ("checkins.edit", "POST"): {"day": "6", "q1_kind": "rating", "q1_code": "going", "q1_sv": "Hur går det?",
                                "q1_en": "How is it going?"},
    ("checkins.delete", "POST"): {"confirmed": "1"},
    ("ideas.new", "POST"): {"name": "Siv", "email": "siv@example.se", "unit": "Pilot", "problem": "Skrivaren",
                            "idea": "Ny skrivare", "reach": "up_to_10", "send_anyway": "1"},
    ("ideas.decision", "POST"): {"decision": "review"},
    ("auth.password", "POST"): {"current_password": "correct horse battery", "password": "a new passphrase",
                                "repeat": "a new passphrase"},
    ("feedback.problem", "POST"): {"category": "printing", "severity": "minor", "description": "Skrivaren"},
}


def route_cases(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route of the app."""
    cases = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            cases.append((rule.endpoint, method, rule.rule))
    return sorted(cases, key=lambda case: (case[2], case[1]))


def expected_for(endpoint: str, method: str = "GET") -> dict[str, str]:
    access = ACCESS[endpoint]
    if isinstance(access, dict):
        access = access[method]
    return CLASSES[access]


def allowed(category: str) -> bool:
    return category == "ok"
