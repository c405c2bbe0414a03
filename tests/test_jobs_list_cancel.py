"""The list of background jobs and cancelling one: each viewer sees the jobs they started and those
of the rollouts they lead (admins all), newest first, in pages, in a constant number of queries;
whoever may see a job may cancel it while it is queued (at once) or running (its runner stops
before its next step, and what the steps before saved stays, as the job's page says); a finished
job cannot be cancelled."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from rollout.extensions import db
from rollout.models import AuditEvent, Job, JobFile, Person
from rollout.services import imports, jobs, rollouts

from . import builders
from .helpers import counting_queries, error_of, ok, text_of
from .test_confirmations import asks, confirm
from .test_jobs import csv_of


def person_count() -> int:
    return db.session.scalar(select(func.count(Person.id))) or 0


def file_pieces() -> int:
    return db.session.scalar(select(func.count()).select_from(JobFile)) or 0


def bearer(client, user):
    token = builders.make_token(user)

    def call(method: str, path: str):
        return client.open("/api/v1" + path, method=method, headers={"Authorization": f"Bearer {token}"})
    return call


@pytest.fixture
def team(ctx):
    """Lena leads alpha, Olle leads beta, Petra keeps the people directory (and reviews alpha, which
    she may import for), Ada administers."""
    users = SimpleNamespace(
        lena=builders.make_user("lena@example.se", "Lena Lead"),
        olle=builders.make_user("olle@example.se", "Olle Other"),
        petra=builders.make_user("petra@example.se", "Petra People", people_manager=True, creator=False),
        ada=builders.make_user("ada@example.se", "Ada Admin", admin=True))
    users.alpha = builders.make_rollout("alpha", users.lena)
    users.beta = builders.make_rollout("beta", users.olle)
    rollouts.set_role(users.alpha, "petra@example.se", "reviewer", users.lena)
    return users


def queued_import(actor, **kw) -> Job:
    return imports.start_import(csv_of(12), actor, at_once=False, **kw)


# --- the list -----------------------------------------------------------------------------

def test_each_viewer_lists_the_jobs_they_started_and_those_of_the_rollouts_they_lead(app, team):
    for_alpha = queued_import(team.petra, for_rollout="alpha")
    start_beta = jobs.enqueue("start_wave", {"wave_id": 0, "wave_number": 0, "rollout": "beta"}, team.olle,
                              rollout=team.beta, total=30_000)
    petras_own = queued_import(team.petra)
    systems = queued_import(None)
    expected = {team.lena: [for_alpha.id], team.olle: [start_beta.id], team.petra: [petras_own.id, for_alpha.id],
                team.ada: [systems.id, petras_own.id, start_beta.id, for_alpha.id]}
    client = app.test_client()
    for user, ids in expected.items():
        listed, total = jobs.list_jobs(user)
        assert ([job.id for job in listed], total) == (ids, len(ids)), user.email
        body = ok(bearer(client, user)("GET", "/jobs"))
        assert [item["id"] for item in body["items"]] == ids and body["total"] == len(ids)
        assert (body["page"], body["per_page"]) == (1, 50)
    alpha = ok(bearer(client, team.lena)("GET", "/jobs"))["items"][0]
    assert (alpha["kind"], alpha["state"], alpha["started_by"], alpha["rollout"]) == (
        "import_people", "queued", "petra@example.se", "alpha")
    # the page: Lena sees alpha's import with who started it, never beta's start
    client.post("/login", data={"email": "lena@example.se", "password": builders.PASSWORD})
    client.get("/language/en")
    html = client.get("/jobs/").get_data(as_text=True)
    assert f'href="/jobs/{for_alpha.id}"' in html and f'href="/jobs/{start_beta.id}"' not in html
    words = text_of(html)
    assert f"Import of people {for_alpha.id} Waiting 0 % Petra People Rollout alpha" in words
    assert "1 job" in words and "deleted 30 days after it finished" in words


def test_a_viewer_without_jobs_gets_an_empty_list_not_an_error(client, auth, team):
    queued_import(team.petra, for_rollout="alpha")
    auth.login("olle@example.se")
    client.get("/language/en")
    assert "No background jobs to show." in text_of(client.get("/jobs/").get_data(as_text=True))
    assert ok(bearer(client, team.olle)("GET", "/jobs")) == {"items": [], "total": 0, "page": 1, "per_page": 50}


def test_the_list_pages_newest_first_in_a_constant_number_of_queries(app, client, auth, team):
    app.config["PER_PAGE"] = 3
    made = [queued_import(team.petra).id for _ in range(7)]
    newest = made[::-1]
    auth.login("petra@example.se")
    client.get("/language/en")
    pages = []
    for page in (1, 2, 3):
        html = client.get(f"/jobs/?page={page}").get_data(as_text=True)
        pages.append([job_id for job_id in newest if f'href="/jobs/{job_id}"' in html])
        assert f"Page {page} of 3" in text_of(html)
    assert pages == [newest[0:3], newest[3:6], newest[6:]]
    api = bearer(client, team.petra)
    body = ok(api("GET", "/jobs?page=2&per_page=3"))
    assert [item["id"] for item in body["items"]] == newest[3:6] and body["total"] == 7
    assert error_of(api("GET", "/jobs?per_page=0"), 422)["details"][0]["field"] == "per_page"
    # the same queries for a page of 7 jobs as for one of 27, with other starters and rollouts
    app.config["PER_PAGE"] = 50
    viewers = {"petra@example.se": app.test_client(), "ada@example.se": app.test_client()}
    for email, viewer in viewers.items():
        viewer.post("/login", data={"email": email, "password": builders.PASSWORD})

    def queries(viewer) -> int:
        with counting_queries() as statements:
            assert viewer.get("/jobs/").status_code == 200
        return len(statements)
    few = {email: queries(viewer) for email, viewer in viewers.items()}
    for i in range(10):
        queued_import(team.petra, for_rollout="alpha" if i % 2 else None)
        jobs.enqueue("start_wave", {"wave_id": i, "wave_number": i, "rollout": "alpha"}, team.lena,
                     rollout=team.alpha, total=30_000)
    assert "Lena Lead" in viewers["ada@example.se"].get("/jobs/").get_data(as_text=True)
    assert {email: queries(viewer) for email, viewer in viewers.items()} == few


def test_the_list_is_reachable_from_the_import_page_and_a_jobs_page(client, auth, team):
    job = queued_import(team.petra)
    auth.login("petra@example.se")
    assert 'href="/jobs/"' in client.get("/people/import").get_data(as_text=True)
    assert 'href="/jobs/"' in client.get(f"/jobs/{job.id}").get_data(as_text=True)


# --- cancelling a queued job --------------------------------------------------------------

def test_a_queued_job_is_cancelled_at_once_its_file_deleted_and_no_runner_takes_it(app, team):
    job = queued_import(team.petra, for_rollout="alpha")
    assert file_pieces() > 0
    api = bearer(app.test_client(), team.lena)  # the lead of the rollout it imports for
    body = ok(api("POST", f"/jobs/{job.id}/cancel"))
    assert body["state"] == "cancelled" and body["cancel_requested_at"] and body["finished_at"]
    assert file_pieces() == 0
    assert jobs.run_pending() == 0 and person_count() == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "job.cancel"))
    assert (event.actor_id, event.rollout_id, event.subject) == (team.lena.id, team.alpha.id, str(job.id))
    assert event.details == {"job": job.id, "kind": "import_people", "running": False}
    # cancelled, it is finished: a second cancel is refused and says why
    error = error_of(api("POST", f"/jobs/{job.id}/cancel"), 409)
    assert error["code"] == "guard_failed" and "finished" in error["message"]


def test_only_those_who_may_see_a_job_may_cancel_it(app, team):
    job = queued_import(team.petra, for_rollout="alpha")
    client = app.test_client()
    assert bearer(client, team.olle)("POST", f"/jobs/{job.id}/cancel").status_code == 404
    assert bearer(client, team.olle)("POST", f"/jobs/{job.id + 99}/cancel").status_code == 404
    client.post("/login", data={"email": "olle@example.se", "password": builders.PASSWORD})
    assert client.post(f"/jobs/{job.id}/cancel", data={"confirmed": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == "queued" and file_pieces() > 0
    assert ok(bearer(client, team.ada)("POST", f"/jobs/{job.id}/cancel"))["state"] == "cancelled"


# --- cancelling a running job: the runner stops before its next step ------------------------

@pytest.fixture
def small_steps(monkeypatch):
    """Checks of 10 lines a step; each writing step saves two batches of 7 people."""
    monkeypatch.setattr(imports, "WRITE_BATCH", 7)
    monkeypatch.setattr(imports, "CHECK_STEP", 10)
    monkeypatch.setattr(imports, "STEP_SECONDS", 1.5)
    monkeypatch.setattr(imports, "time", SimpleNamespace(monotonic=itertools.count().__next__))


def test_an_import_cancelled_while_saving_keeps_the_people_saved_and_says_so(app, team, small_steps):
    job = imports.start_import(csv_of(50), team.petra, at_once=False)
    owner = jobs.runner_name()
    assert jobs.claim(owner) == job.id
    jobs.run_job(job.id, owner, max_steps=7)  # the check (6 steps), then two batches: 14 people
    assert person_count() == 14
    asked = jobs.cancel(job, team.petra)
    assert asked.state == "running" and asked.cancelling and file_pieces() > 0  # the step under way reads it
    assert jobs.cancel(job, team.petra).cancelling  # asking again changes nothing
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "job.cancel")) == 1
    stopped = jobs.run_job(job.id, owner)  # the runner's next step: it stops instead
    assert stopped is not None and stopped.state == "cancelled" and stopped.finished_at is not None
    assert person_count() == 14 and stopped.progress_done == 14 and file_pieces() == 0
    assert stopped.result == {"phase": "write", "created": 14, "updated": 0, "rows": 14}
    assert sorted(db.session.scalars(select(Person.external_id))) == sorted(f"j{i}" for i in range(1, 15))
    imported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "people.import"))
    assert imported.details["cancelled"] is True and imported.details["created"] == 14
    assert jobs.run_pending() == 0
    client = app.test_client()
    client.post("/login", data={"email": "petra@example.se", "password": builders.PASSWORD})
    for language, kept in (("en", "the 14 people saved before it stopped are kept (14 new, 0 updated); the rest "
                                  "of the file was not imported"),
                           ("sv", "de 14 personer som sparades innan det avbröts finns kvar")):
        client.get(f"/language/{language}")
        page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
        assert kept in text_of(page).replace("\u00a0", " ") and 'data-refresh' not in page


def test_an_import_cancelled_while_checking_saves_nobody(app, team, small_steps):
    job = imports.start_import(csv_of(50), team.petra, at_once=False)
    owner = jobs.runner_name()
    jobs.claim(owner)
    jobs.run_job(job.id, owner, max_steps=2)
    ok(bearer(app.test_client(), team.petra)("POST", f"/jobs/{job.id}/cancel"))
    assert jobs.run_job(job.id, owner).state == "cancelled"
    assert person_count() == 0 and file_pieces() == 0
    client = app.test_client()
    client.post("/login", data={"email": "petra@example.se", "password": builders.PASSWORD})
    client.get("/language/en")
    assert ": nothing was imported." in text_of(client.get(f"/jobs/{job.id}").get_data(as_text=True))


def test_a_job_cancelled_while_its_runner_was_gone_is_stopped_by_the_next(ctx, team, small_steps):
    from datetime import timedelta

    from sqlalchemy import update

    from rollout.models.types import utcnow
    job = imports.start_import(csv_of(50), team.petra, at_once=False)
    dead = jobs.runner_name()
    jobs.claim(dead)
    jobs.run_job(job.id, dead, max_steps=7)
    jobs.cancel(job, team.petra)
    db.session.execute(update(Job).where(Job.id == job.id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert jobs.run_pending() == 1  # taken over, and stopped before it writes anything more
    db.session.expire_all()
    assert db.session.get(Job, job.id).state == "cancelled" and person_count() == 14


# --- finished jobs ---------------------------------------------------------------------------

def test_a_finished_job_cannot_be_cancelled(app, client, auth, team):
    done = imports.start_import(csv_of(3), team.petra, at_once=True)
    failed = imports.start_import(b"external_id,name,email\nbad id,X,x@example.se\n", team.petra, at_once=True)
    assert (done.state, failed.state) == ("done", "failed")
    api = bearer(client, team.petra)
    for job in (done, failed):
        error = error_of(api("POST", f"/jobs/{job.id}/cancel"), 409)
        assert error["details"]["guard"] == "job_finished" and "nothing left to cancel" in error["message"]
    auth.login("petra@example.se")
    client.get("/language/en")
    page = client.get(f"/jobs/{done.id}").get_data(as_text=True)
    assert "Cancel the job" not in page
    refused = client.post(f"/jobs/{done.id}/cancel", follow_redirects=True)  # refused at once, not asked
    assert "This job has finished (done): there is nothing left to cancel." in text_of(refused.get_data(as_text=True))
    db.session.expire_all()
    assert [db.session.get(Job, job.id).state for job in (done, failed)] == ["done", "failed"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "job.cancel")) == 0


# --- the page's button, with its confirmation ---------------------------------------------------

def test_cancelling_on_the_jobs_page_asks_first_and_says_what_is_kept(app, client, auth, team, small_steps):
    job = imports.start_import(csv_of(50), team.petra, at_once=False)
    owner = jobs.runner_name()
    jobs.claim(owner)
    jobs.run_job(job.id, owner, max_steps=7)
    auth.login("petra@example.se")
    client.get("/language/en")
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert f'action="/jobs/{job.id}/cancel"' in page and "Cancel the job…" in page
    form = asks(client, f"/jobs/{job.id}/cancel", names=(
        f"Cancel job {job.id}: Import of people?", "the 14 people saved so far are kept",
        "the rest of the file is not imported"), button="Yes, cancel the job")
    assert form.back == f"/jobs/{job.id}"
    confirm(client, form)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Cancelling…" in page and "Cancel the job…" not in page and 'data-refresh="3"' in page
    with app.test_request_context():
        jobs.run_job(job.id, owner)
    assert "Cancelled" in client.get(f"/jobs/{job.id}").get_data(as_text=True)


def test_a_queued_jobs_confirmation_says_nothing_is_done(client, auth, team):
    job = queued_import(team.petra)
    auth.login("petra@example.se")
    client.get("/language/en")
    confirm(client, asks(client, f"/jobs/{job.id}/cancel", names=("it is cancelled at once and nothing of it is done",
                                                                  "The uploaded file is deleted."),
                         button="Yes, cancel the job"))
    assert db.session.get(Job, job.id).state == "cancelled"
    assert ": nothing was imported." in text_of(client.get(f"/jobs/{job.id}").get_data(as_text=True))


def test_the_command_line_cancels_a_job(ctx, runner, team):
    job = queued_import(team.petra)
    cancelled = runner.invoke(args=["rollout", "jobs", "cancel", str(job.id)])
    assert cancelled.exit_code == 0 and f"Job {job.id} cancelled." in cancelled.output
    assert "cancelled" in runner.invoke(args=["rollout", "jobs", "list"]).output
    again = runner.invoke(args=["rollout", "jobs", "cancel", str(job.id)])
    assert again.exit_code == 1 and "det finns inget kvar att avbryta" in again.output  # the default language
