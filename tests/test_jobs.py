"""Background jobs: a large import is answered at once and done by a runner, with progress the
user sees; a runner that dies is taken over after its lease and nothing is done twice or lost;
a bad file stores nothing and its job lists every line's error; only those who may see a job do."""
from __future__ import annotations

import io
import itertools
import re
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from rollout.extensions import db
from rollout.models import AuditEvent, Job, JobFile, Person
from rollout.models.types import utcnow
from rollout.services import imports, jobs, people, rollouts
from rollout.services.accounts import check_email

from . import builders


def csv_of(n: int, *, start: int = 1, bad: dict[int, str] | None = None) -> bytes:
    """A file of n people, j1..jn; `bad`: a row's number -> the line that replaces it."""
    lines = ["external_id,name,email,unit,site"]
    for i in range(start, start + n):
        lines.append((bad or {}).get(i, f"j{i},Person Nummer {i},j{i}@example.se,Enhet {i % 3},Plats {i % 2}"))
    return ("\n".join(lines) + "\n").encode()


def person_count() -> int:
    return db.session.scalar(select(func.count(Person.id))) or 0


@pytest.fixture
def background(app):
    """Every file with more than 5 lines is a background job."""
    app.config["IMPORT_SYNC_MAX_LINES"] = 5
    return app


def job_id_of(location: str) -> int:
    found = re.search(r"/jobs/(\d+)$", location)
    assert found, location
    return int(found.group(1))


def test_a_large_upload_is_answered_at_once_and_a_runner_imports_it(background, api, ctx):
    response = api.post("/people/import", data=csv_of(40), headers={"Content-Type": "text/csv"})
    assert response.status_code == 202
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/jobs/{body['id']}"
    assert (body["kind"], body["state"], body["progress"]) == ("import_people", "queued", {"done": 0, "total": 40})
    assert person_count() == 0
    assert jobs.run_pending() == 1
    done = api.get(f"/jobs/{body['id']}").get_json()
    assert done["state"] == "done" and done["progress"] == {"done": 40, "total": 40}
    assert (done["result"]["created"], done["result"]["updated"], done["errors"]) == (40, 0, [])
    assert person_count() == 40
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "people.import"))
    assert entry.details["created"] == 40 and entry.details["job"] == body["id"]
    assert db.session.scalar(select(func.count()).select_from(JobFile)) == 0  # the file goes with the job


def test_the_job_page_shows_progress_refreshes_itself_then_the_outcome(background, client, auth, lead, subtests):
    auth.login()
    # (the new texts of the job page are translated by the catalogue's next update; "Imported: ..." already is)
    for language, imported in (("sv", "Importen är klar: 30 nya"), ("en", "Imported: 30 new")):
        with subtests.test(language=language):
            client.get(f"/language/{language}")
            sent = client.post("/people/import", data={"file": (io.BytesIO(csv_of(30, start=100 if language == "en"
                                                                                   else 1)), "people.csv")})
            assert sent.status_code == 303
            page = client.get(sent.headers["Location"])
            html = page.get_data(as_text=True)
            assert page.status_code == 200 and f'lang="{language}"' in html
            assert 'data-refresh="3"' in html and '<progress id="job-progress" max="30" value="0"' in html
            with client.application.test_request_context():
                jobs.run_pending()
            html = client.get(sent.headers["Location"]).get_data(as_text=True)
            assert 'data-refresh' not in html
            assert imported in html.replace("\u00a0", " ")


def _expire_lease(job_id: int) -> None:
    db.session.execute(update(Job).where(Job.id == job_id).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_a_job_whose_runner_died_is_resumed_and_every_row_is_stored_once(ctx, monkeypatch):
    monkeypatch.setattr(imports, "WRITE_BATCH", 7)
    monkeypatch.setattr(imports, "CHECK_STEP", 10)
    # each step writes two batches: its clock moves one second per look, and a step stops after 1.5
    monkeypatch.setattr(imports, "STEP_SECONDS", 1.5)
    monkeypatch.setattr(imports, "time", SimpleNamespace(monotonic=itertools.count().__next__))
    job = imports.start_import(csv_of(50), None, source="test", at_once=False)
    first = jobs.runner_name()
    assert jobs.claim(first) == job.id
    jobs.run_job(job.id, first, max_steps=7)  # the check (6 steps: 10 lines each, then the end), two batches
    db.session.expire_all()
    assert (job.progress_done, person_count(), job.checkpoint["records"]) == (14, 14, 14)
    assert jobs.claim(jobs.runner_name()) is None  # its lease holds: nobody else may take it
    _expire_lease(job.id)  # the runner is gone (SIGKILL) and its lease runs out
    second = jobs.runner_name()
    assert jobs.claim(second) == job.id
    assert jobs.run_job(job.id, first) is None  # the first runner, were it only slow, can do nothing more
    finished = jobs.run_job(job.id, second)
    assert finished is not None and finished.state == "done"
    assert (finished.result["created"], finished.result["updated"], finished.progress_done) == (50, 0, 50)
    ids = db.session.scalars(select(Person.external_id)).all()
    assert sorted(ids) == sorted(f"j{i}" for i in range(1, 51))
    assert finished.attempts == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "people.import")) == 1


def test_two_runners_never_hold_one_job(ctx):
    job = imports.start_import(csv_of(10), None, at_once=False)
    one, other = jobs.runner_name(), jobs.runner_name()
    assert jobs.claim(one) == job.id
    assert jobs.claim(other) is None and jobs.run_pending(other) == 0
    assert jobs.run_job(job.id, other) is None  # without the lease a runner does not even start a step
    assert person_count() == 0
    assert jobs.run_job(job.id, one).state == "done" and person_count() == 10


def test_a_bad_large_file_stores_nothing_and_its_page_lists_every_line_error(background, client, auth, lead):
    auth.login()
    client.get("/language/en")
    data = csv_of(1200, bad={7: "j7,Sju,not-an-address,Enhet 1,Plats 1", 500: "j3,Dubblett,d@example.se,E,P",
                             900: "j900,För,få"})
    sent = client.post("/people/import", data={"file": (io.BytesIO(data), "people.csv")})
    with client.application.test_request_context():
        jobs.run_pending()
        assert person_count() == 0
        job = db.session.scalar(select(Job))
        assert job.state == "failed"
        assert [(e["line"], e["field"]) for e in job.errors] == [(8, "email"), (501, "external_id"), (901, "")]
    html = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "3 errors in the file" in html and "Nothing was imported" in html
    assert "<td>501</td>" in html and "also on line 4" in html and 'data-refresh' not in html


def test_a_small_file_is_still_imported_in_the_request(client, auth, lead):
    auth.login()
    sent = client.post("/people/import", data={"file": (io.BytesIO(csv_of(3)), "people.csv")})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/people/")


def test_who_may_see_a_job(background, app, ctx, lead):
    reviewer = builders.make_user("rev@example.se", "Rita Reviewer", people_manager=True)
    other_lead = builders.make_user("other@example.se", "Olle Other")
    rollout = builders.make_rollout("alpha", lead)
    rollouts.set_role(rollout, "rev@example.se", "reviewer", lead)
    builders.make_rollout("beta", other_lead)
    manager = builders.make_user("hr@example.se", "Petra People", people_manager=True)
    rollouts.set_role(rollout, "hr@example.se", "reviewer", lead)  # may see the rollout it imports for
    job = imports.start_import(csv_of(20), manager, source="api", for_rollout="alpha")
    client = app.test_client()
    for user, status in ((manager, 200), (lead, 200), (reviewer, 404), (other_lead, 404)):
        response = client.get(f"/api/v1/jobs/{job.id}", headers={"Authorization": f"Bearer {builders.make_token(user)}"})
        assert response.status_code == status, user.email
    assert client.get(f"/api/v1/jobs/{job.id + 1}", headers={
        "Authorization": f"Bearer {builders.make_token(manager)}"}).status_code == 404


def test_the_command_line_runs_and_lists_jobs(ctx, runner):
    job = imports.start_import(csv_of(12), None, at_once=False)
    listed = runner.invoke(args=["rollout", "jobs", "list"])
    assert f"{job.id}" in listed.output and "queued" in listed.output
    ran = runner.invoke(args=["rollout", "jobs", "run"])
    assert ran.exit_code == 0 and "Ran 1 job(s)." in ran.output
    assert person_count() == 12
    assert "done" in runner.invoke(args=["rollout", "jobs", "list"]).output


def test_the_scheduler_poll_runs_pending_jobs(app):
    from rollout import scheduler
    with app.app_context():
        imports.start_import(csv_of(8), None, at_once=False)
        db.session.remove()
    assert scheduler.run_jobs(app) == 1
    with app.app_context():
        assert person_count() == 8


def test_an_import_keeps_search_text_units_and_updates_as_before(ctx):
    imports.import_people_csv(csv_of(5), None)
    changed = csv_of(5).replace(b"j2,Person Nummer 2,j2@example.se", b"j2,\xc3\x85sa \xc3\x96berg,J2@Example.se")
    result = imports.import_people_csv(changed, None)
    assert (result.created, result.updated) == (0, 1)
    for person in db.session.scalars(select(Person)):
        expected = person.search_text
        person.refresh_search_text()
        assert person.search_text == expected
    assert people.search_people("åsa")[1] == 1


@pytest.mark.parametrize("address", [
    "anna@example.se", "a.b+c@sub.example.se", "x@kommun.se", "bad@@example.se", "a..b@example.se",
    ".a@example.se", "a@example", "a@localhost", "a@example.test", "a@exam_ple.se", "ö@example.se",
    "a@-example.se", "a" * 65 + "@example.se", "a@" + "b" * 64 + ".se", "a@1.2.3.4", "a@example.123",
    "x@example.local", "\"q\"@example.se", "a@xn--mnchen-3ya.de", "a@münchen.de"])
def test_the_fast_email_check_agrees_with_email_validator(ctx, address):
    assert people.email_problem(address) == check_email(address)


def test_a_large_file_of_bad_lines_fails_its_job_with_a_bounded_list(background, api, ctx):
    data = b"external_id,name,email\n" + b"bad id,X,x@example.se\n" * 5_000
    response = api.post("/people/import", data=data, headers={"Content-Type": "text/csv"})
    assert response.status_code == 202
    jobs.run_pending()
    job = api.get(response.headers["Location"].removeprefix("/api/v1")).get_json()
    assert job["state"] == "failed" and job["message"]
    assert 1 <= len(job["errors"]) <= 1000 and all(e["line"] >= 2 for e in job["errors"])
    assert person_count() == 0


def test_runners_racing_for_one_job_get_it_once(app, is_postgres):
    """Four runners claim at the same moment: one gets the job (FOR UPDATE SKIP LOCKED and the
    conditional UPDATE), the others nothing."""
    if not is_postgres:
        pytest.skip("concurrent writers are a PostgreSQL matter; SQLite serialises them")
    with app.app_context():
        job_id = imports.start_import(csv_of(10), None, at_once=False).id
        db.session.remove()
    barrier, got = threading.Barrier(4), []

    def race() -> None:
        with app.app_context():
            barrier.wait()
            got.append(jobs.claim(jobs.runner_name()))
            db.session.remove()

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got.count(job_id) == 1 and got.count(None) == 3
