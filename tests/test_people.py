"""People: the CSV import (all or nothing, every error reported) and upserts."""
from __future__ import annotations

import pytest

from rollout.extensions import db
from rollout.models import Person, Unit
from rollout.services import imports, people
from rollout.services.errors import NotAllowed, ValidationFailed

from . import builders

GOOD = """external_id,name,email,unit,site,role
e1,Åsa Öberg,asa.oberg@example.se,Bygglov,Rådhuset,handläggare
e2,Erik Ek,erik.ek@example.se,Kundcenter,Tekniska huset,chef
"""


def count() -> int:
    return db.session.query(Person).count()


def test_a_good_file_creates_people_units_and_attributes(ctx):
    result = imports.import_people_csv(GOOD.encode(), None)
    assert (result.created, result.updated) == (2, 0)
    asa = db.session.query(Person).filter_by(external_id="e1").one()
    assert asa.name == "Åsa Öberg" and asa.unit.name == "Bygglov"
    assert asa.attributes == {"site": "Rådhuset", "role": "handläggare"}
    assert {u.name for u in db.session.query(Unit)} == {"Bygglov", "Kundcenter"}


def test_importing_again_updates_by_external_id_and_counts_only_changes(ctx):
    imports.import_people_csv(GOOD, None)
    changed = GOOD.replace("Erik Ek,erik.ek@example.se,Kundcenter", "Erik Ekström,erik.ek@example.se,Bygglov")
    result = imports.import_people_csv(changed, None)
    assert (result.created, result.updated) == (0, 1)
    erik = db.session.query(Person).filter_by(external_id="e2").one()
    assert erik.name == "Erik Ekström" and erik.unit.name == "Bygglov"
    assert count() == 2


def test_one_bad_line_imports_nothing_and_every_bad_line_is_named(ctx):
    bad = GOOD + "e3,,not-an-email,Bygglov,Rådhuset,chef\ne1,Dubbel,d@example.se,Bygglov,x,y\ne5,Ok,ok@example.se\n"
    with pytest.raises(ValidationFailed) as caught:
        imports.import_people_csv(bad, None)
    problems = {(d["line"], d["field"]) for d in caught.value.details}
    assert (4, "name") in problems and (4, "email") in problems
    assert (5, "external_id") in problems  # e1 again
    assert (6, "") in problems  # too few fields
    assert count() == 0
    assert db.session.query(Unit).count() == 0


def test_the_header_is_line_one(ctx):
    with pytest.raises(ValidationFailed) as caught:
        imports.import_people_csv("id,name,mail\nx,y,z\n", None)
    assert {(d["line"], d["field"]) for d in caught.value.details} >= {(1, "external_id"), (1, "email")}


@pytest.mark.parametrize("data", [
    ("\ufeff" + GOOD).encode("utf-8"),
    GOOD.replace(",", ";").encode("utf-8"),
    GOOD.encode("cp1252"),
    GOOD.replace("\n", "\r\n").encode(),
], ids=["utf-8 with BOM", "semicolons (Swedish Excel)", "Windows-1252", "CRLF"])
def test_files_from_excel_keep_swedish_letters(ctx, data):
    imports.import_people_csv(data, None)
    assert db.session.query(Person).filter_by(external_id="e1").one().name == "Åsa Öberg"


def test_empty_files_are_refused(ctx):
    for data in (b"", b"external_id,name,email,unit\n"):
        with pytest.raises(ValidationFailed):
            imports.import_people_csv(data, None)


def test_a_reviewer_cannot_change_people(ctx):
    reviewer = builders.make_user("reviewer@example.se", "Rita")
    with pytest.raises(NotAllowed):
        imports.import_people_csv(GOOD, reviewer)
    with pytest.raises(NotAllowed):
        people.upsert_people(builders.person_rows(1), reviewer)
    assert count() == 0


def test_search_by_name_email_or_id_and_unit(ctx):
    imports.import_people_csv(GOOD, None)
    assert [p.external_id for p in people.search_people("öberg")[0]] == ["e1"]
    assert [p.external_id for p in people.search_people("ERIK.EK")[0]] == ["e2"]
    assert [p.external_id for p in people.search_people("", "Kundcenter")[0]] == ["e2"]
    items, total = people.search_people("", "", page=2, per_page=1)
    assert total == 2 and len(items) == 1


def test_attributes_can_be_removed_with_an_empty_value(ctx):
    imports.import_people_csv(GOOD, None)
    imports.import_people_csv(GOOD.replace("Rådhuset,handläggare", ",handläggare"), None)
    assert db.session.query(Person).filter_by(external_id="e1").one().attributes == {"role": "handläggare"}


def test_a_large_import_is_one_transaction(ctx):
    rows = ["external_id,name,email,unit"] + [f"x{i},Person {i},x{i}@example.se,Enhet {i % 7}" for i in range(3000)]
    result = imports.import_people_csv("\n".join(rows), None)
    assert result.created == 3000 and count() == 3000
    rows.append("x1,Twice,t@example.se,Enhet 1")
    with pytest.raises(ValidationFailed) as caught:
        imports.import_people_csv("\n".join(rows), None)
    assert [d["line"] for d in caught.value.details] == [3002]
