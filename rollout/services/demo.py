"""The demo: a Swedish administration rolling out a new PC platform.

A few hundred people in several units, a pilot of about a dozen close to the
IT team, then waves of about 10 %, 40 % and 100 %. Deterministic, so the demo
looks the same on every laptop.

The same administration finished an earlier rollout, a new e-service
platform, earlier in the year: its pilot and first wave are done, the pilot's
retrospective turned into lessons (one verified effective, one applied, one
deferred), so the lesson library has content and the PC rollout, which shares
some of its tags, gets suggestions from it. That history is backdated.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Decision, FeedbackLink, Lesson, Person, RetroCard, RetroTheme, Rollout, User, Wave
from ..models.types import utcnow
from . import accounts, feedback, lessons, people, retro, rollouts, waves

DEMO_PASSWORD = "rollout-demo"
DEMO_USERS = (
    ("admin@example.se", "Åsa Administratör", True, "administrator"),
    ("lead@example.se", "Lena Lindqvist", False, "lead"),
    ("reviewer@example.se", "Rikard Rask", False, "reviewer"),
    ("people@example.se", "Petra Persson", False, "people manager"),
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
    for email, name, admin, role in DEMO_USERS:
        users[email] = accounts.create_user(email, name, DEMO_PASSWORD, is_admin=admin,
                                            people_manager=role == "people manager",
                                            rollout_creator=role == "lead")
    people.upsert_people(demo_people(), None, source="demo")
    lead = users["lead@example.se"]
    _earlier_rollout(lead)
    rollout = rollouts.create_rollout({
        "key": "win11-2027", "name": "Ny PC-plattform 2027",
        "description": ("Stadsbyggnadsförvaltningen i Norrvik byter till Windows 11 på nya datorer. "
                        "Piloten är IT-enheten och några nära kollegor; sedan tre vågor över förvaltningen."),
        "tags": ["windows", "pc", "utbildning", "information"],
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
    _pilot_retro_cards(pilot, lead, users["reviewer@example.se"])
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


def _answer(link: FeedbackLink, answers: dict) -> None:
    """As a participant does: open the link from the e-mail (so it shows as opened), then answer."""
    token = _token_of(link)
    feedback.touch(feedback.visit(token))
    feedback.submit(token, answers)


def _pilot_feedback(pilot: Wave) -> None:
    """Most of the pilot has answered; a couple of problems have been reported."""
    links = _links(pilot)
    for link, answer in zip(links, PILOT_ANSWERS, strict=False):
        satisfaction, day_one, information, well, better, celebrate, hours = answer
        _answer(link, {
            "satisfaction": satisfaction, "worked_day_one": day_one, "information": information,
            "went_well": well, "could_be_better": better, "celebrate": celebrate, "hours_lost": hours})
    feedback.report_problem(_token_of(links[3]), {
        "category": "login", "severity": "major",
        "description": "Bygglovssystemet sa att jag saknade behörighet den första förmiddagen."})
    feedback.report_problem(_token_of(links[1]), {
        "category": "printing", "severity": "minor", "description": "Skrivaren på plan 3 fanns inte i listan."})


PILOT_CARDS = [
    ("went_well", "IT-supporten i korridoren första morgonen uppskattades av alla.", "lead"),
    ("better", "Behörigheterna till bygglovssystemet var inte klara när datorn byttes.", "reviewer"),
    ("better", "Utbildningen kom efter bytet i stället för före.", "lead"),
    ("celebrate", "Åtta av tolv svarade redan första dagen!", "reviewer"),
    ("idea", "En checklista per våning för skrivare och dockningsstationer.", "reviewer"),
]


def _pilot_retro_cards(pilot: Wave, lead: User, reviewer: User) -> None:
    """The review team has started the pilot's retrospective while feedback comes in."""
    authors = {"lead": lead, "reviewer": reviewer}
    for kind, text, author in PILOT_CARDS:
        retro.add_card(pilot, {"kind": kind, "text": text}, authors[author])


# --- the earlier rollout: finished, with its retrospective and lessons ------------

EARLIER_KEY = "etjanst-2026"
# how many days before today the earlier rollout's pilot started
EARLIER_START = 300
# satisfaction, information (rating), worked on day one, could be better
EARLIER_PILOT_ANSWERS = [
    (4, 2, "yes", "Jag visste inte att bytet skulle ske förrän samma morgon."),
    (3, 2, "yes", "Ingen visade hur man handlägger ett ärende i den nya plattformen."),
    (4, 3, "yes", ""),
    (2, 1, "no", "Informationen kom för sent och var svår att hitta."),
    (4, 3, "yes", "Manualen fanns bara på engelska."),
    (5, 4, "yes", ""),
    (3, 2, "yes", "Hade behövt en kort utbildning innan."),
]
EARLIER_CARDS = [
    ("went_well", "Medborgarna hittade de nya e-tjänsterna direkt.", "reviewer", 1),
    ("went_well", "Kundcenter hjälpte varandra de första dagarna.", "lead", 0),
    ("better", "Informationen om bytet kom samma morgon.", "lead", 3),
    ("better", "Ingen hade gått utbildningen före start.", "reviewer", 3),
    ("better", "Manualen fanns bara på engelska.", "reviewer", 1),
    ("celebrate", "Första e-tjänsten gick live utan ett enda driftstopp!", "lead", 0),
    ("idea", "Samla alla e-tjänster och guider på en sida på intranätet.", "lead", 1),
]


def _earlier_rollout(lead: User) -> Rollout:
    """"Ny e-tjänstplattform 2026": pilot and wave 1 done with go, the pilot's retrospective
    with two voted themes, and the lessons it gave."""
    reviewer = db.session.scalar(select(User).where(User.email == "reviewer@example.se"))
    assert reviewer is not None  # the demo's team is there before its rollouts
    rollout = rollouts.create_rollout({
        "key": EARLIER_KEY, "name": "Ny e-tjänstplattform 2026",
        "description": ("Stadsbyggnadsförvaltningen i Norrvik flyttade bygglovs- och kundcenterärenden till en "
                        "ny e-tjänstplattform. Piloten var en grupp i Kundcenter; sedan Kundcenter och Bygglov."),
        "tags": ["e-tjänst", "utbildning", "information"],
    }, lead)
    rollouts.set_role(rollout, reviewer.email, "reviewer", lead)
    pilot_people = list(db.session.scalars(
        select(Person.external_id).where(Person.unit.has(name="Kundcenter"))
        .order_by(Person.external_id).limit(len(EARLIER_PILOT_ANSWERS) + 1)))
    start = date.today() - timedelta(days=EARLIER_START)
    pilot = waves.create_wave(rollout, {
        "name": "Kundcenter-piloten", "selection": {"people": pilot_people}, "feedback_days": 7,
        "planned_start": start.isoformat(), "planned_end": (start + timedelta(days=14)).isoformat()}, lead)
    wave1 = waves.create_wave(rollout, {
        "name": "Kundcenter och Bygglov", "selection": {"units": ["Kundcenter", "Bygglov"]}, "feedback_days": 7,
        "planned_start": (start + timedelta(days=35)).isoformat(),
        "planned_end": (start + timedelta(days=56)).isoformat()}, lead)

    waves.transition(pilot, "active", lead)
    waves.transition(pilot, "feedback", lead)
    links = _links(pilot)
    for link, (satisfaction, information, day_one, better) in zip(links, EARLIER_PILOT_ANSWERS, strict=False):
        _answer(link, {"satisfaction": satisfaction, "information": information,
                                          "worked_day_one": day_one, "could_be_better": better})
    waves.transition(pilot, "review", lead)

    team = {"lead": lead, "reviewer": reviewer}
    cards = [(retro.add_card(pilot, {"kind": kind, "text": text}, team[author]), author, dots)
             for kind, text, author, dots in EARLIER_CARDS]
    for card, author, dots in cards:
        voter = team["reviewer" if author == "lead" else "lead"]
        for _dot in range(dots):
            retro.vote(card, voter)
    information_theme = retro.create_theme(pilot, {"title": "Information och utbildning före start",
                                             "cards": [cards[2][0].id, cards[3][0].id, cards[4][0].id]}, lead)
    retro.create_theme(pilot, {"title": "En samlad ingång på intranätet", "cards": [cards[6][0].id]}, lead)

    informed = lessons.create_lesson(rollout, {
        "title": "Informera en vecka före bytet",
        "action": ("Skicka ett informationsbrev till varje deltagare en vecka före bytet, med datum, "
                   "vad som ändras och var man får hjälp; påminn dagen innan."),
        "owner": reviewer.email, "metric": "information", "tags": ["information", "kommunikation"],
    }, lead, theme=information_theme)
    trained = lessons.create_lesson(rollout, {
        "title": "Kort utbildning före start",
        "action": "Erbjud en timmes lärarledd genomgång och en svensk snabbguide innan plattformen slås på.",
        "origin_wave": 0, "owner": lead.email, "tags": ["utbildning"],
    }, lead)
    one_page = lessons.create_lesson(rollout, {
        "title": "Samla e-tjänsterna på en intranätsida",
        "action": "En sida på intranätet med alla e-tjänster, guider och vem man frågar.",
        "origin_wave": 0, "owner": lead.email, "tags": ["information", "intranät"],
    }, lead)
    lessons.update_lesson(informed, {"status": "planned"}, lead)
    lessons.update_lesson(informed, {"status": "applied"}, lead)
    lessons.update_lesson(trained, {"status": "applied"}, lead)
    lessons.update_lesson(one_page, {"status": "deferred",
                                     "reason": "Väntar på det nya intranätet; tas upp igen när det är på plats."}, lead)
    waves.decide(pilot, "go", "Nöjda överlag; information och utbildning åtgärdas före våg 1.", lead)

    waves.transition(wave1, "active", lead)
    waves.transition(wave1, "feedback", lead)
    rng = random.Random(2026)
    for link in _links(wave1)[:32]:
        _answer(link, {"satisfaction": rng.choice((3, 4, 4, 5, 5)),
                                          "information": rng.choice((3, 4, 4, 5, 5, 5)),
                                          "worked_day_one": "yes" if rng.random() < 0.9 else "no"})
    waves.transition(wave1, "review", lead)
    lessons.update_lesson(informed, {"status": "verified_effective"}, lead)
    waves.decide(wave1, "go", "Klart: fler nöjda och bättre informerade än i piloten.", lead)
    _backdate(rollout, start)
    return rollout


def _links(wave: Wave) -> list[FeedbackLink]:
    return list(db.session.scalars(select(FeedbackLink).where(FeedbackLink.wave_id == wave.id)
                                   .order_by(FeedbackLink.id)))


def _backdate(rollout: Rollout, start: date) -> None:
    """Move the earlier rollout's history from today to when it happened: the waves' dates
    (as planned, wave 1 a day late), its decisions, retrospective and lessons."""
    now = utcnow()

    def at(days: int) -> datetime:
        # the same time of day, `days` after the pilot's start
        return now - timedelta(days=(date.today() - start).days - days)

    pilot, wave1 = rollout.waves
    moments = {pilot.id: (0, 14, 21, 24), wave1.id: (36, 56, 63, 66)}
    for wave in (pilot, wave1):
        started, opened, closed, done = moments[wave.id]
        wave.started_at, wave.feedback_opened_at = at(started), at(opened)
        wave.closed_at = wave.feedback_closes_at = at(closed)
        wave.done_at = at(done)
        db.session.execute(update(Decision).where(Decision.wave_id == wave.id).values(decided_at=at(done)))
        db.session.execute(update(RetroCard).where(RetroCard.wave_id == wave.id).values(created_at=at(closed + 1)))
        db.session.execute(update(RetroTheme).where(RetroTheme.wave_id == wave.id).values(created_at=at(closed + 1)))
    rollout.created_at = at(-30)
    db.session.execute(update(Lesson).where(Lesson.rollout_id == rollout.id).values(
        created_at=at(22), updated_at=at(30)))
    db.session.execute(update(Lesson).where(Lesson.rollout_id == rollout.id, Lesson.applied_at.is_not(None))
                       .values(applied_at=at(30)))
    db.session.execute(update(Lesson).where(Lesson.rollout_id == rollout.id, Lesson.verified_at.is_not(None))
                       .values(verified_at=at(65), updated_at=at(65)))
    db.session.commit()


def _token_of(link: FeedbackLink) -> str:
    return feedback.link_url(link).rsplit("/", 1)[1]


def feedback_links(limit: int = 3) -> list[tuple[str, str]]:
    """A few pilot members' personal links, those who have not answered first."""
    rollout = demo_rollout()
    if rollout is None or not rollout.waves:
        return []
    pilot = rollout.waves[0]
    rows = db.session.execute(select(FeedbackLink, Person).join(Person, Person.id == FeedbackLink.person_id)
                              .where(FeedbackLink.wave_id == pilot.id).order_by(FeedbackLink.id)).all()
    rows = sorted(rows, key=lambda row: feedback.has_response(pilot, row[1].id))
    return [(person.name, feedback.link_url(link)) for link, person in rows[:limit]]


def demo_rollout() -> Rollout | None:
    return db.session.scalar(select(Rollout).where(Rollout.key == "win11-2027"))
