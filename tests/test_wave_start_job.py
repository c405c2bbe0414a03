"""A very large wave starts in the background: the lead's request is answered at once with a job
(API 202 + Location, the page redirects to the job's page), a runner starts the wave in one
transaction, and a runner that died is taken over without fixing anyone twice."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from rollout.extensions import db
from rollout.models import Job, Membership, Wave
from rollout.models.types import utcnow
from rollout.services import jobs, wave_start

from . import builders


@pytest.fixture
def large(app):
    """Every start that takes more than 5 people is a background job."""
    app.config["WAVE_START_SYNC_MAX"] = 5
    return app


def planned(lead, n: int = 12, **selection) -> Wave:
    builders.make_people(n)
    rollout = builders.make_rollout("big-2027", lead)
    return builders.make_wave(rollout, lead, name="Alla", **(selection or {"units": ["Enhet A"]}))


def members_of(wave_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Membership).where(Membership.wave_id == wave_id)) or 0


def test_a_large_start_is_answered_at_once_and_a_runner_starts_the_wave(large, api, ctx, lead):
    wave = planned(lead)
    response = api.post("/rollouts/big-2027/waves/0/transitions", json={"to": "active"})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/jobs/{body['id']}"
    assert (body["kind"], body["state"], body["progress"]) == ("start_wave", "queued", {"done": 0, "total": 12})
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).state == "planned" and members_of(wave.id) == 0
    # asking again while it waits gives the same job, not a second start
    again = api.post("/rollouts/big-2027/waves/0/transitions", json={"to": "active"})
    assert again.status_code == 202 and again.get_json()["id"] == body["id"]
    assert jobs.run_pending() == 1
    done = api.get(f"/jobs/{body['id']}").get_json()
    assert done["state"] == "done" and done["progress"] == {"done": 12, "total": 12}
    assert done["result"] == {"members": 12, "wave": 0, "rollout": "big-2027"}
    db.session.expire_all()
    started = db.session.get(Wave, wave.id)
    assert started.state == "active" and started.members_count == 12 and members_of(wave.id) == 12
    assert api.get("/rollouts/big-2027/waves/0").get_json()["state"] == "active"


def test_a_small_start_still_happens_in_the_request(app, api, ctx, lead):
    planned(lead, n=4)
    response = api.post("/rollouts/big-2027/waves/0/transitions", json={"to": "active"})
    assert response.status_code == 200 and response.get_json()["state"] == "active"
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_start_that_cannot_happen_is_refused_at_once(large, api, ctx, lead):
    planned(lead)
    api.post("/rollouts/big-2027/waves/0/transitions", json={"to": "cancelled"})
    response = api.post("/rollouts/big-2027/waves/0/transitions", json={"to": "active"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "guard_failed"
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_the_lead_follows_the_start_on_the_job_page(large, client, auth, ctx, lead, subtests):
    builders.make_people(12)
    auth.login()
    for language, waiting, started in (("en", "Waiting to start", "The wave has started with 12 members."),
                                       ("sv", "Väntar på att starta", "Vågen har startat med 12 deltagare.")):
        with subtests.test(language=language):
            client.get(f"/language/{language}")
            key = f"big-{language}"  # a rollout of its own for each language
            wave = builders.make_wave(builders.make_rollout(key, lead), lead, name="Alla", units=["Enhet A"])
            sent = client.post(f"/rollouts/{key}/waves/{wave.number}/transition",
                               data={"to": "active", "confirmed": "1"})
            assert sent.status_code == 303 and "/jobs/" in sent.headers["Location"]
            html = client.get(sent.headers["Location"]).get_data(as_text=True)
            assert f'lang="{language}"' in html and waiting in html and 'data-refresh="3"' in html
            wave_page = client.get(f"/rollouts/{key}/waves/{wave.number}").get_data(as_text=True)
            assert f'href="{sent.headers["Location"]}"' in wave_page  # the wave's page points to the job
            with client.application.test_request_context():
                jobs.run_pending()
            html = client.get(sent.headers["Location"]).get_data(as_text=True).replace("\u00a0", " ")
            assert 'data-refresh' not in html and started in html
            assert f'href="/rollouts/{key}/waves/{wave.number}"' in html


def test_a_start_whose_runner_died_is_taken_over_and_fixes_everyone_once(large, ctx, lead):
    wave = planned(lead)
    job = wave_start.transition(wave, "active", lead)
    assert isinstance(job, Job)
    owner = "host:1:dead"
    assert jobs.claim(owner) == job.id  # a runner took it, then died before its start committed
    db.session.commit()
    db.session.execute(update(Job).where(Job.id == job.id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.run_pending() == 1  # another runner takes it over
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == "done" and members_of(wave.id) == 12
    # a start committed just before its runner died is recognised, not done twice
    db.session.execute(update(Job).where(Job.id == job.id).values(state="running", lease_expires_at=utcnow()
                                                                   - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.run_pending() == 1
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == "done" and members_of(wave.id) == 12


def test_a_start_refused_when_its_turn_comes_fails_its_job_and_says_why(large, ctx, lead):
    wave = planned(lead)
    job = wave_start.transition(wave, "active", lead)
    from rollout.services import waves
    waves.transition(wave, "cancelled", lead)  # meanwhile the lead cancelled the wave
    jobs.run_pending()
    db.session.expire_all()
    failed = db.session.get(Job, job.id)
    assert failed.state == "failed" and failed.message and members_of(wave.id) == 0


def test_a_queued_start_cancelled_leaves_the_wave_planned_and_it_can_be_started_again(large, api, ctx, lead):
    wave = planned(lead)
    job_id = api.post("/rollouts/big-2027/waves/0/transitions", json={"to": "active"}).get_json()["id"]
    cancelled = api.post(f"/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["state"] == "cancelled"
    assert jobs.run_pending() == 0
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).state == "planned" and members_of(wave.id) == 0
    again = api.post("/rollouts/big-2027/waves/0/transitions", json={"to": "active"})
    assert again.status_code == 202 and again.get_json()["id"] != job_id  # a new start, not the cancelled one
    assert jobs.run_pending() == 1 and members_of(wave.id) == 12


def test_a_running_start_cancelled_before_its_step_stops_and_the_page_says_the_wave_did_not_start(
        large, client, auth, ctx, lead):
    wave = planned(lead)
    job = wave_start.transition(wave, "active", lead)
    owner = jobs.runner_name()
    assert jobs.claim(owner) == job.id
    assert jobs.cancel(job, lead).cancelling
    stopped = jobs.run_job(job.id, owner)
    assert stopped.state == "cancelled" and stopped.result == {"started": False}
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).state == "planned" and members_of(wave.id) == 0
    auth.login()
    client.get("/language/en")
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "the wave did not start; it is as it was, with no member fixed" in html
    assert 'href="/rollouts/big-2027/waves/0"' in html


def test_a_start_committed_before_its_runner_died_is_not_undone_by_a_cancel(large, ctx, lead):
    wave = planned(lead)
    job = wave_start.transition(wave, "active", lead)
    from rollout.services import waves
    waves.transition(wave, "active", lead)  # as the runner did just before it died
    jobs.claim("host:1:dead")
    jobs.cancel(job, lead)
    db.session.execute(update(Job).where(Job.id == job.id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.run_pending() == 1
    db.session.expire_all()
    stopped = db.session.get(Job, job.id)
    assert stopped.state == "cancelled" and stopped.result["started"] is True and stopped.result["members"] == 12
    assert db.session.get(Wave, wave.id).state == "active" and members_of(wave.id) == 12
