"""Helpers the tests share: the API's error envelope, the SQL a piece of work runs, and a page's
text as a reader sees it. Each is written once here so that every test checks the same thing."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

from sqlalchemy import event

from rollout.extensions import db

TAG = re.compile(r"<[^>]+>")


# --- the API's error envelope: {"error": {"code", "message", "details"}} ----------------------

def error_of(response, status: int) -> dict:
    """The JSON error of a response that must have `status`."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    return body["error"]


def fields_of(error: dict) -> set[str]:
    """The fields an error's details name."""
    return {item["field"] for item in error["details"]}


def fields_in_order(error: dict) -> list[str]:
    """The fields an error's details name, in the order the API gives them."""
    return [item["field"] for item in error["details"]]


def ok(response, status: int = 200) -> dict:
    """The JSON body of a response that must have `status`."""
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


# --- the SQL a request or a service call runs ----------------------------------------------

@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """The statements sent to the database inside the block, as a list that grows while it runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def queries_for(client, path: str) -> int:
    """How many statements a GET of `path` runs, after one GET to warm up (the first request of a
    session does one-time work). The page must answer 200."""
    client.get(path)
    with counting_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


# --- a page as a reader sees it ------------------------------------------------------------

def text_of(html: str) -> str:
    """The words of `html` without tags, entities read and white space folded to single spaces,
    so that assertions read like what a user sees."""
    return " ".join(unescape(TAG.sub(" ", html)).split())
