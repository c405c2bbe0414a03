"""The participants of the load test. Each one goes through their own people's personal links,
one after another: opens the link (the HTML page, or the API's GET), answers (the page's form
with its CSRF token and session cookie, then the thanks page it is sent to; or the API's POST),
and now and then changes their mind at once (opens the link again and sends other answers: an
edit). Page or API is chosen per visit, so both kinds are mixed for the same people.

Every request is recorded with its kind, start, end and outcome; every submission with the
answers it carried and whether the server acknowledged it (a 303 to the thanks page, or a 200),
in the order sent: the last acknowledged answers of each person are what must be stored."""
from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from .client import NoAnswer, Reply, fetch

OK = "ok"
KINDS = ("open page", "submit page", "edit page", "thanks page", "open api", "submit api", "edit api")
EDIT_SHARE = 0.3  # after a submission, how often the participant opens the link again and edits
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]*)"')


@dataclass
class Request:
    kind: str
    started: float  # time.perf_counter()
    ended: float
    outcome: str  # OK, "status <n>" (an answer that was not the expected one), or client.CLOSED / TIMEOUT

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Sent:
    """One submission: the answers as the API gives them back, and whether it was acknowledged."""

    answers: dict[str, Any]
    acknowledged: bool = False


@dataclass
class Ledger:
    """What a round did: every request, and every person's submissions in the order sent."""

    requests: list[Request] = field(default_factory=list)
    sent: dict[str, list[Sent]] = field(default_factory=dict)


@dataclass
class Participant:
    """One concurrent participant: `tokens` are the personal links it goes through, in turn."""

    port: int
    tokens: list[str]
    ledger: Ledger
    rng: random.Random
    think: float = 0.0  # mean pause between two requests, in seconds (0: none)
    timeout: float = 60.0

    async def run(self, stop_at: float) -> None:
        turn = 0
        while time.perf_counter() < stop_at:
            token = self.tokens[turn % len(self.tokens)]
            turn += 1
            await self.visit(token)
            while self.rng.random() < EDIT_SHARE and time.perf_counter() < stop_at:
                await self.visit(token)

    async def browse(self, stop_at: float) -> None:
        """Only open links (the warm-up: nothing is written but the links' last opening)."""
        turn = 0
        while time.perf_counter() < stop_at:
            token = self.tokens[turn % len(self.tokens)]
            turn += 1
            if turn % 2:
                await self.call("open page", "GET", f"/f/{token}", {200})
            else:
                await self.call("open api", "GET", f"/api/v1/feedback/{token}", {200})

    async def visit(self, token: str) -> None:
        verb = "edit" if self.ledger.sent.get(token) else "submit"
        if self.rng.random() < 0.5:
            await self.through_page(token, verb)
        else:
            await self.through_api(token, verb)

    async def through_page(self, token: str, verb: str) -> None:
        page = await self.call("open page", "GET", f"/f/{token}", {200})
        if page is None:
            return
        found = CSRF.search(page.text)
        if found is None:
            self.ledger.requests[-1].outcome = "page without a form"
            return
        answers = self.answers()
        form = {"csrf_token": found.group(1), **{f"q_{code}": str(value) for code, value in answers.items()}}
        cookies = "; ".join(f"{name}={value}" for name, value in page.cookies.items())
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies}
        sent = self.sending(token, answers)
        reply = await self.call(f"{verb} page", "POST", f"/f/{token}", {303}, urlencode(form).encode(), headers)
        if reply is None:
            return
        thanks = urlsplit(reply.headers.get("location", "")).path
        if not thanks.endswith("/thanks"):
            self.ledger.requests[-1].outcome = f"303 to {thanks or 'nowhere'}"
            return
        sent.acknowledged = True
        await self.call("thanks page", "GET", thanks, {200}, headers={"Cookie": cookies})

    async def through_api(self, token: str, verb: str) -> None:
        if await self.call("open api", "GET", f"/api/v1/feedback/{token}", {200}) is None:
            return
        answers = self.answers()
        sent = self.sending(token, answers)
        body = json.dumps({"answers": answers, "language": "sv"}).encode()
        reply = await self.call(f"{verb} api", "POST", f"/api/v1/feedback/{token}", {200}, body,
                                {"Content-Type": "application/json"})
        if reply is not None:
            sent.acknowledged = True

    def sending(self, token: str, answers: dict[str, Any]) -> Sent:
        sent = Sent(answers)
        self.ledger.sent.setdefault(token, []).append(sent)  # before it goes: the order is the sending order
        return sent

    def answers(self) -> dict[str, Any]:
        """Answers to the default questionnaire, different each time (a stamp in the texts)."""
        stamp = f"{self.rng.getrandbits(40):010x}"
        return {"satisfaction": self.rng.randint(1, 5), "worked_day_one": self.rng.choice(("yes", "no")),
                "information": self.rng.randint(1, 5), "went_well": f"Snabb installation {stamp}",
                "could_be_better": f"Skrivaren på plan 3 {stamp}", "celebrate": f"Teamet {stamp}",
                "hours_lost": self.rng.randint(0, 8)}

    async def call(self, kind: str, method: str, path: str, expect: set[int], body: bytes = b"",
                   headers: dict[str, str] | None = None) -> Reply | None:
        """One request, recorded; the reply when its status is one of `expect`, else None."""
        if self.think:
            await asyncio.sleep(self.rng.expovariate(1 / self.think))
        started = time.perf_counter()
        try:
            reply = await fetch(self.port, method, path, body=body, headers=headers, timeout=self.timeout)
        except NoAnswer as error:
            self.ledger.requests.append(Request(kind, started, time.perf_counter(), error.why))
            return None
        ok = reply.status in expect
        self.ledger.requests.append(Request(kind, started, time.perf_counter(), OK if ok else f"status {reply.status}"))
        return reply if ok else None
