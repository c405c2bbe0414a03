"""A rollout among many people stores its buckets in the background: creating it is answered at
once with a job (API: 201 with buckets_job; the rollout's page points to the job's), the job
writes exactly the buckets a top-up would, in steps that survive their runner, and meanwhile no
preview tops up in the request and no wave starts. A large import writes the new people's
buckets in its own job. Small counts stay as they were: in the request."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from rollout.extensions import db
from rollout.models import Bucket, Job, Person, Rollout, Wave
from rollout.models.types import utcnow
from rollout.services import bucket_jobs, buckets, cohorts, imports, jobs, people, waves
from rollout.services.errors import GuardFailed

from . import builders, cohort_reference

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def large(app, monkeypatch):
    """More than 50 missing buckets are stored by a job, 7 people per step (so a job takes several)."""
    app.config["BUCKETS_SYNC_MAX"] = 50
    monkeypatch.setattr(bucket_jobs, "STEP", 7)
    return app


def stored(rollout_id: int) -> dict[int, int]:
    return dict(db.session.execute(select(Bucket.person_id, Bucket.value).where(Bucket.rollout_id == rollout_id)).all())


def expected(key: str) -> dict[int, int]:
    """Each person's bucket as Unleash computes it (the reference the stored ones are held to)."""
    return {pid: buckets.bucket(key, external_id)
            for pid, external_id in db.session.execute(select(Person.id, Person.external_id))}


def buckets_jobs() -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.kind == "store_buckets").order_by(Job.id)))


def expire_lease(job_id: int) -> None:
    db.session.execute(update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_large_creation_queues_the_job_and_stores_no_bucket_in_the_request(large, lead):
    builders.make_people(60)
    rollout = builders.make_rollout("big-2027", lead)
    db.session.expire_all()
    [job] = buckets_jobs()
    assert (job.state, job.rollout_id, job.progress_total, job.actor_id) == ("queued", rollout.id, 60, lead.id)
    assert stored(rollout.id) == {}
    assert db.session.get(Rollout, rollout.id).sorting_jobs == [job]  # committed with the rollout
    assert jobs.run_pending() == 1
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert (done.state, done.progress_done, done.result) == ("done", 60, {"rollout": "big-2027", "stored": 60})
    assert stored(rollout.id) == expected("big-2027")
    assert db.session.get(Rollout, rollout.id).sorting_jobs == []


def test_the_job_stores_exactly_what_the_top_up_in_the_request_stores(large, lead):
    builders.make_people(40, unit="Enhet A")
    builders.make_people(23, unit="Enhet B", prefix="q")
    rollout = builders.make_rollout("same-2027", lead)
    jobs.run_pending()
    by_job = stored(rollout.id)
    db.session.execute(Bucket.__table__.delete().where(Bucket.rollout_id == rollout.id))
    db.session.commit()
    assert buckets.top_up(db.session.get(Rollout, rollout.id)) == 63  # as create_rollout did before
    db.session.commit()
    assert stored(rollout.id) == by_job == expected("same-2027") and len(by_job) == 63


def test_the_reference_selection_agrees_after_the_job(large, lead):
    builders.make_people(30, unit="Enhet A")
    builders.make_people(30, unit="Enhet B", prefix="q")
    rollout = builders.make_rollout("ref-2027", lead)
    wave = builders.make_wave(rollout, lead, units=["Enhet B"], percentage=60)
    jobs.run_pending()
    db.session.expire_all()
    wave = db.session.get(Wave, wave.id)
    reference = [(c.person_id, c.bucket, c.explicit) for c in cohort_reference.preview(wave)]
    assert [(c.person_id, c.bucket, c.explicit) for c in cohorts.preview(wave)] == reference and reference


def test_a_job_whose_runner_died_after_a_step_is_taken_over_and_stores_each_bucket_once(large, lead):
    builders.make_people(60)
    rollout = builders.make_rollout("big-2027", lead)
    [job] = buckets_jobs()
    first = jobs.runner_name()
    assert jobs.claim(first) == job.id
    jobs.run_job(job.id, first, max_steps=1)  # one step committed, then the runner dies
    db.session.expire_all()
    assert (len(stored(rollout.id)), job.checkpoint["after"], job.progress_done) == (7, 7, 7)
    assert jobs.claim(jobs.runner_name()) is None  # its lease holds
    expire_lease(job.id)
    assert jobs.run_pending() == 1
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done.state == "done" and done.attempts == 2 and done.result["stored"] == 60
    assert stored(rollout.id) == expected("big-2027")


def test_a_step_done_again_writes_nothing_twice(large, lead):
    """A step whose work was committed but whose checkpoint is lost (as if it ran twice) finds
    nothing left to write in its range: the anti-join selects only the missing."""
    builders.make_people(60)
    rollout = builders.make_rollout("big-2027", lead)
    [job] = buckets_jobs()
    owner = jobs.runner_name()
    jobs.claim(owner)
    jobs.run_job(job.id, owner, max_steps=3)
    db.session.execute(update(Job).where(Job.id == job.id).values(checkpoint={}, progress_done=0))
    expire_lease(job.id)
    assert jobs.run_pending() == 1
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done.state == "done" and done.result["stored"] == 60 - 21 and done.progress_done == 60
    assert stored(rollout.id) == expected("big-2027")


def test_a_small_creation_stays_in_the_request(app, lead):
    builders.make_people(60)
    rollout = builders.make_rollout("small-2027", lead)
    assert buckets_jobs() == [] and stored(rollout.id) == expected("small-2027")


def test_while_the_job_is_pending_no_preview_tops_up_and_no_wave_starts(large, api, lead):
    builders.make_people(60)
    rollout = builders.make_rollout("big-2027", lead)
    wave = builders.make_wave(rollout, lead, name="Alla", percentage=50)
    [job] = buckets_jobs()
    with pytest.raises(bucket_jobs.BucketsPending) as pending:
        cohorts.preview_count(wave)
    assert pending.value.job.id == job.id and stored(rollout.id) == {}
    with pytest.raises(GuardFailed) as refused:
        waves.transition(wave, "active", lead)
    assert refused.value.guard == "buckets_pending"
    preview = api.get("/rollouts/big-2027/waves/0/preview")
    assert preview.status_code == 409, preview.get_json()
    error = preview.get_json()["error"]
    assert error["details"]["guard"] == "buckets_pending"
    assert error["details"]["reasons"][0]["job"] == job.id and error["details"]["reasons"][0]["percent"] == 0
    start = api.post("/rollouts/big-2027/waves/0/transitions", json={"to": "active"})
    assert start.status_code == 409 and start.get_json()["error"]["details"]["reasons"][0]["job"] == job.id
    assert "sorted into buckets" in start.get_json()["error"]["message"]
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).state == "planned" and stored(rollout.id) == {}
    assert len(buckets_jobs()) == 1  # asking again queues no second job
    jobs.run_pending()
    assert api.get("/rollouts/big-2027/waves/0/preview").status_code == 200
    assert api.post("/rollouts/big-2027/waves/0/transitions", json={"to": "active"}).status_code == 200


def test_the_api_names_the_job_in_the_rollout(large, api):
    builders.make_people(60)
    created = api.post("/rollouts", json={"key": "big-2027", "name": "Big"})
    assert created.status_code == 201, created.get_json()
    [job] = buckets_jobs()
    body = created.get_json()
    assert body["buckets_job"] == {"id": job.id, "state": "queued", "url": f"/api/v1/jobs/{job.id}"}
    assert api.get("/rollouts/big-2027").get_json()["buckets_job"]["id"] == job.id
    assert [r["buckets_job"] for r in api.get("/rollouts").get_json()["items"]] == [body["buckets_job"]]
    assert api.get(f"/jobs/{job.id}").get_json()["kind"] == "store_buckets"
    jobs.run_pending()
    assert api.get("/rollouts/big-2027").get_json()["buckets_job"] is None
    large.config["BUCKETS_SYNC_MAX"] = 60
    small = api.post("/rollouts", json={"key": "small", "name": "Small"})
    assert small.status_code == 201 and small.get_json()["buckets_job"] is None


def test_the_pages_show_the_progress_instead_of_the_preview(large, client, auth, lead, subtests):
    builders.make_people(60)
    auth.login()
    for language, notice, start_refused, done_text in (
            ("en", "still being sorted into buckets: 0 % done", "the wave can start once that is done",
             "Every person of the rollout has a bucket now: 60 were stored."),
            ("sv", "får fortfarande sina slumptal: 0 % klart", "vågen kan starta när det är klart",
             "Alla i utrullningen har nu sitt slumptal: 60 sparades.")):
        with subtests.test(language=language):
            client.get(f"/language/{language}")
            key = f"big-{language}"
            sent = client.post("/rollouts/new", data={"key": key, "name": f"Big {language}", "language": language})
            assert sent.status_code == 302 and sent.headers["Location"] == f"/rollouts/{key}"
            job = db.session.scalar(select(Job).join(Rollout, Rollout.id == Job.rollout_id).where(Rollout.key == key))
            assert job is not None and job.kind == "store_buckets"
            page = client.get(f"/rollouts/{key}").get_data(as_text=True).replace("\u00a0", " ")
            assert notice in page and f'href="/jobs/{job.id}"' in page
            rollout = db.session.scalar(select(Rollout).where(Rollout.key == key))
            builders.make_wave(rollout, lead, name="Alla", percentage=50)
            wave_page = client.get(f"/rollouts/{key}/waves/0").get_data(as_text=True).replace("\u00a0", " ")
            assert notice in wave_page and f'href="/jobs/{job.id}"' in wave_page and start_refused in wave_page
            assert '<table>' not in wave_page  # no preview
            started = client.post(f"/rollouts/{key}/waves/0/transition", data={"to": "active", "confirmed": "1"},
                                  follow_redirects=True)
            assert start_refused in started.get_data(as_text=True).replace("\u00a0", " ")
            db.session.expire_all()
            assert db.session.scalar(select(Wave.state).where(Wave.rollout_id == rollout.id)) == "planned"
            job_page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
            assert f'lang="{language}"' in job_page and 'data-refresh="3"' in job_page
            assert f'href="/rollouts/{key}"' in job_page
            with client.application.test_request_context():
                jobs.run_pending()
            job_page = client.get(f"/jobs/{job.id}").get_data(as_text=True).replace("\u00a0", " ")
            assert done_text in job_page and 'data-refresh' not in job_page
            wave_page = client.get(f"/rollouts/{key}/waves/0").get_data(as_text=True)
            assert "<table>" in wave_page and f'href="/jobs/{job.id}"' not in wave_page


def test_people_added_without_buckets_beyond_the_limit_go_to_a_job_not_the_request(large, lead):
    builders.make_people(10)
    rollout = builders.make_rollout("grow-2027", lead)
    wave = builders.make_wave(rollout, lead, name="Alla", percentage=100)
    assert buckets_jobs() == [] and len(stored(rollout.id)) == 10
    people.upsert_people(builders.person_rows(30, prefix="x"), None)  # a path that writes no buckets
    assert cohorts.preview_count(wave) == 40  # 30 missing: at most 50, in the request
    assert buckets_jobs() == []
    people.upsert_people(builders.person_rows(51, prefix="y"), None)
    assert waves.blockers(wave, "active")[0][0] == "buckets_pending"
    [job] = buckets_jobs()
    assert job.actor_id is None and len(stored(rollout.id)) == 40  # nothing written inline
    with pytest.raises(bucket_jobs.BucketsPending):
        cohorts.preview_count(wave)
    assert len(buckets_jobs()) == 1
    jobs.run_pending()
    db.session.expire_all()
    assert stored(rollout.id) == expected("grow-2027")
    assert cohorts.preview_count(db.session.get(Wave, wave.id)) == 91


def test_a_large_import_stores_the_new_peoples_buckets_of_open_rollouts_in_its_job(large, app, lead):
    app.config["IMPORT_SYNC_MAX_LINES"] = 5
    builders.make_people(10)
    open_one = builders.make_rollout("open", lead)  # no wave yet: it will take people
    planned = builders.make_rollout("planned", lead)
    builders.make_wave(planned, lead, name="Alla", percentage=100)
    finished = builders.make_rollout("started", lead)
    pilot = builders.make_wave(finished, lead, name="Pilot", percentage=100)
    waves.transition(pilot, "active", lead)  # every wave started: it takes nobody more
    lines = ["external_id,name,email,unit"] + [f"n{i},Ny {i},n{i}@example.se,Enhet A" for i in range(1, 41)]
    job = imports.start_import(("\n".join(lines) + "\n").encode(), lead)
    owner = jobs.runner_name()
    jobs.claim(owner)
    jobs.run_job(job.id, owner, max_steps=4)  # the check, the people, and one range of new people
    db.session.expire_all()
    assert job.checkpoint["phase"] == "buckets" and job.result["phase"] == "buckets"
    expire_lease(job.id)  # its runner died: the next one goes on
    assert jobs.run_pending() == 1
    db.session.expire_all()
    done = db.session.get(Job, job.id)
    assert done.state == "done" and done.result == {"created": 40, "updated": 0, "rows": 40}
    assert stored(open_one.id) == expected("open") and stored(planned.id) == expected("planned")
    assert len(stored(finished.id)) == 10  # its people are fixed; it gets more only when read
    assert buckets_jobs() == []
    wave = db.session.scalar(select(Wave).where(Wave.rollout_id == planned.id))
    assert buckets.shortfall(planned.id) == 0 and cohorts.preview_count(wave) == 50
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
