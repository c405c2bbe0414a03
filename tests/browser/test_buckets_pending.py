"""While a large rollout's people are still being sorted into buckets, its page and its wave's
page (the notice in place of the preview) work at 320 px and pass axe-core; so does the job's page
once it is done (tests/browser/test_jobs_pages.py checks a job's page while it runs)."""
from __future__ import annotations

import pytest

from rollout.extensions import db
from rollout.models import Job, User
from rollout.services import jobs

from .. import builders
from .conftest import needs_chromium
from .test_reflow import assert_reflows, log_in, narrow_page  # noqa: F401  (narrow_page: a fixture)

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_pages_of_a_rollout_being_sorted_reflow_and_pass_axe(narrow_page, live_server, lead_user,  # noqa: F811
                                                                check_a11y, language):
    live_server.app.config["BUCKETS_SYNC_MAX"] = 5
    with live_server.app.test_request_context():
        lead = db.session.query(User).filter_by(email=lead_user["email"]).one()
        builders.make_people(12)
        rollout = builders.make_rollout("big-2027", lead)
        builders.make_wave(rollout, lead, name="Alla", percentage=50)
        job_id = db.session.query(Job.id).filter_by(kind="store_buckets").scalar()
    log_in(narrow_page, live_server, lead_user["email"], lead_user["password"], language)
    for path, where in (("/rollouts/big-2027", "the rollout being sorted"),
                        ("/rollouts/big-2027/waves/0", "the wave whose people are being sorted")):
        narrow_page.goto(live_server(path))
        assert narrow_page.locator("#buckets-pending").count() == 1
        assert_reflows(narrow_page, check_a11y, where)
    with live_server.app.test_request_context():
        jobs.run_pending()
    narrow_page.goto(live_server(f"/jobs/{job_id}"))
    assert narrow_page.locator("#job-progress").count() == 1
    assert_reflows(narrow_page, check_a11y, "the job that sorted the people")
    narrow_page.goto(live_server("/rollouts/big-2027/waves/0"))
    assert narrow_page.locator("#buckets-pending").count() == 0 and narrow_page.locator("#people-caption").count() == 1
