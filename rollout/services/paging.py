"""Pages of a query: its rows from one page and how many there are in all, in two queries
(the count, then the page), for every list the UI and the API show in pages."""
from __future__ import annotations

from sqlalchemy import Select, func, select

from ..extensions import db


def offset_of(page: int, per_page: int) -> int:
    """Where page `page` (1 for the first; anything less counts as 1) starts."""
    return (max(page, 1) - 1) * per_page


def page_of(statement: Select, page: int, per_page: int, *, rows: bool = False) -> tuple[list, int]:
    """The rows of `statement` (ordered as it says) on page `page`, and the count of all its rows.
    Models by default; with `rows`, the result rows as they are (several columns or entities)."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    paged = statement.limit(per_page).offset(offset_of(page, per_page))
    items = db.session.execute(paged).all() if rows else db.session.scalars(paged).all()
    return list(items), total
