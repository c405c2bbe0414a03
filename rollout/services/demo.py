"""The demo: a Swedish administration rolling out a new PC platform.

A few hundred people in several units, a pilot of about a dozen close to the
IT team, then waves of about 10 %, 40 % and 100 %. Deterministic, so the demo
looks the same on every laptop.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Person, Rollout, User
from . import accounts, feedback, people, rollouts, waves

DEMO_PASSWORD = "rollout-demo"
DEMO_USERS = (
    ("admin@example.se", "Åsa Administratör", True, "administrator"),
    ("lead@example.se", "Lena Lindqvist", False, "lead"),
    ("reviewer@example.se", "Rikard Rask", False, "reviewer"),
)
UNITS = (
    ("IT-enheten", 24), ("Bygglov", 62), ("Planavdelningen", 48), ("Lantmäteri", 40),
    ("Kart och GIS", 30), ("Administration och ekonomi", 44), ("Kundcenter", 52),
)
SITES = ("Stadshuset", "Tekniska huset", "Distansarbete")
ROLES = {"IT-enheten": ("tekniker", "systemförvaltare", "chef"),
         "default": ("handläggare", "handläggare", "handläggare", "ingenjör", "administratör", "chef")}
FIRST = ("Anna", "Erik", "Maria", "Lars", "Karin", "Anders", "Eva", "Johan", "Sara", "Per", "Emma", "Mikael",
         "Lena", "Fredrik", "Ingrid", "Ali", "Fatima", "Sofia", "Oskar", "Elin", "Mohammed", "Aino", "Björn",
         "Nils", "Ylva", "Gustav", "Hanna", "Omar", "Linnea", "Jonas", "Amira", "Kerstin", "Mats", "Ebba")
LAST = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
        "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Lindberg", "Lindström", "Axelsson", "Berg",
        "Holm", "Åkesson", "Öberg", "Sjöberg", "Hassan", "Nieminen", "Wikström", "Ek", "Sandberg")


@dataclass
class DemoResult:
    users: list[tuple[str, str]]
    rollout_key: str
    people: int


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def demo_people() -> list[dict]:
    rng = random.Random(2027)
    rows = []
    number = 1000
    for unit, size in UNITS:
        for _ in range(size):
            number += 1
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = f"{first}.{last}".lower().translate(str.maketrans("åäöé", "aaoe"))
            rows.append({
                "external_id": f"e{number}", "name": f"{first} {last}", "email": f"{local}.{number}@norrvik.example.se",
                "unit": unit, "language": "en" if rng.random() < 0.08 else "sv",
                "attributes": {"site": rng.choice(SITES), "role": rng.choice(ROLES.get(unit, ROLES["default"]))},
            })
    return rows


def load_demo() -> DemoResult:
    users = {}
    for email, name, admin, _role in DEMO_USERS:
        users[email] = accounts.create_user(email, name, DEMO_PASSWORD, is_admin=admin)
    people.upsert_people(demo_people(), None, source="demo")
    lead = users["lead@example.se"]
    rollout = rollouts.create_rollout({
        "key": "win11-2027", "name": "Ny PC-plattform 2027",
        "description": ("Stadsbyggnadsförvaltningen i Norrvik byter till Windows 11 på nya datorer. "
                        "Piloten är IT-enheten och några nära kollegor; sedan tre vågor över förvaltningen."),
    }, lead)
    rollouts.set_role(rollout, "reviewer@example.se", "reviewer", lead)
    it_people = list(db.session.scalars(
        select(Person.external_id).join(Person.unit).where(Person.unit.has(name="IT-enheten"))
        .order_by(Person.external_id).limit(9)))
    close_colleagues = ["e1030", "e1095", "e1140"]
    start = date.today() - timedelta(days=3)
    plan = [
        ("IT-enheten och nära kollegor", {"people": it_people + close_colleagues}, 0, 14),
        ("Tio procent", {"percentage": 10}, 21, 14),
        ("Fyrtio procent", {"percentage": 40}, 42, 21),
        ("Hela förvaltningen", {"percentage": 100}, 70, 21),
    ]
    created = []
    for name, selection, offset, length in plan:
        created.append(waves.create_wave(rollout, {
            "name": name, "selection": selection, "feedback_days": 7,
            "planned_start": (start + timedelta(days=offset)).isoformat(),
            "planned_end": (start + timedelta(days=offset + length)).isoformat(),
        }, lead))
    pilot = created[0]
    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    _pilot_feedback(pilot)
    return DemoResult([(email, DEMO_PASSWORD) for email, *_ in DEMO_USERS], rollout.key, len(demo_people()))


PILOT_ANSWERS = [
    (5, "yes", 4, "Snabb uppstart och allt fanns på plats.", "", "IT-supporten var på plats första morgonen!", 0),
    (4, "yes", 3, "Smidig inloggning med nya kortet.", "Skrivaren på plan 3 saknades.", "", 0.5),
    (4, "yes", 4, "", "Lite kort information om vad som skulle hända.", "", 1),
    (2, "no", 2, "", "Kom inte åt bygglovssystemet förrän efter lunch.", "", 4),
    (5, "yes", 5, "Mycket snabbare dator.", "", "Att det gick så smidigt!", 0),
    (3, "yes", 2, "Bra med stöd i korridoren.", "Utbildningen kom för sent.", "", 2),
    (4, "yes", 4, "", "Dockningsstationen fungerade inte med min skärm.", "", 1),
    (5, "yes", 4, "Bra förberett.", "", "", 0),
]


def _pilot_feedback(pilot) -> None:
    """Most of the pilot has answered; a couple of problems have been reported."""
    from ..models import FeedbackLink
    links = list(db.session.scalars(select(FeedbackLink).where(FeedbackLink.wave_id == pilot.id)
                                    .order_by(FeedbackLink.id)))
    for link, answer in zip(links, PILOT_ANSWERS, strict=False):
        satisfaction, day_one, information, well, better, celebrate, hours = answer
        feedback.submit(_token_of(link), {
            "satisfaction": satisfaction, "worked_day_one": day_one, "information": information,
            "went_well": well, "could_be_better": better, "celebrate": celebrate, "hours_lost": hours})
    feedback.report_problem(_token_of(links[3]), {
        "category": "login", "severity": "major",
        "description": "Bygglovssystemet sa att jag saknade behörighet den första förmiddagen."})
    feedback.report_problem(_token_of(links[1]), {
        "category": "printing", "severity": "minor", "description": "Skrivaren på plan 3 fanns inte i listan."})


def _token_of(link) -> str:
    return feedback.link_url(link).rsplit("/", 1)[1]


def feedback_links(limit: int = 3) -> list[tuple[str, str]]:
    """A few pilot members' personal links, those who have not answered first."""
    from ..models import FeedbackLink, Person
    rollout = demo_rollout()
    if rollout is None or not rollout.waves:
        return []
    pilot = rollout.waves[0]
    rows = db.session.execute(select(FeedbackLink, Person).join(Person, Person.id == FeedbackLink.person_id)
                              .where(FeedbackLink.wave_id == pilot.id).order_by(FeedbackLink.id)).all()
    rows.sort(key=lambda row: feedback.has_response(pilot, row[1].id))
    return [(person.name, feedback.link_url(link)) for link, person in rows[:limit]]


def demo_rollout() -> Rollout | None:
    return db.session.scalar(select(Rollout).where(Rollout.key == "win11-2027"))
