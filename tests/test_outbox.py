"""The outbox: every kind of message named in words and in its filter, and no time of sending on
a message that was never sent."""
from __future__ import annotations

import re

from rollout.services import lessons

from . import builders
from .test_feedback import open_wave


def test_every_kind_is_named_and_filterable_and_unsent_messages_have_no_sent_time(client, auth, ctx, lead, admin):
    from rollout.services import reconcile
    rollout, wave = open_wave(lead, n=2)
    owner = builders.make_user("olle@example.se", "Olle Owner")
    from rollout.services import rollouts
    rollouts.set_role(rollout, owner.email, "reviewer", lead)
    lessons.create_lesson(rollout, {"title": "Skrivare", "owner": owner.email}, lead)
    reconcile.tick()  # no mail server: everything waits in the outbox
    client.get("/language/en")
    auth.login(admin.email)
    page = client.get("/admin/outbox").get_data(as_text=True)
    options = re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]+)</option>', page)
    assert ("lesson_owner", "Lesson to own") in options and ("invitation", "Invitation") in options
    assert "lesson_owner" not in re.sub(r'value="[a-z_]+"', "", page)  # no raw code shown
    assert "Lesson to own" in page[page.index("<tbody>"):]
    rows = re.findall(r"<tr>(.*?)</tr>", page[page.index("<tbody>"):], re.S)
    assert rows and all("not sent" in row for row in rows)  # in the outbox, never sent
    filtered = client.get("/admin/outbox?kind=lesson_owner").get_data(as_text=True)
    assert "1 message" in filtered and "olle@example.se" in filtered
