"""Numbers and dates in the reader's language, the same on pages, in e-mails and in exports:
a decimal comma in Swedish, and ISO-like dates (2026-12-08 10:44) in both languages, in
Swedish time. Jinja filters: `decimal(digits)`, `number`, `percent`, `when(with_time=True)`."""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Optional

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal

DATE = "yyyy-MM-dd"
DATE_TIME = "yyyy-MM-dd HH:mm"


def decimal(value: Optional[float], digits: int = 1) -> str:
    """`value` with exactly `digits` decimals: "16,7" in Swedish, "16.7" in English; "–" for None."""
    if value is None:
        return "\u2013"
    text = format_decimal(abs(value), "#,##0" + ("." + "0" * digits if digits else ""))
    negative = round(value, digits) < 0
    return ("\u2212" + text) if negative else text


def number(value: Optional[float]) -> str:
    """A number as short as it is exact (up to three decimals): "2,5", "12", "0,125"."""
    if value is None:
        return "\u2013"
    text = format_decimal(abs(value), "#,##0.###")
    return ("\u2212" + text) if value < 0 and text.strip("0,.") else text


def percent(share: Optional[float], sign: bool = True) -> str:
    """A share (0..1) in whole per cent, halves rounded up as in the charts: 0.625 -> "63 %"
    ("63" without the sign)."""
    if share is None:
        return "\u2013"
    return format_decimal(math.floor(share * 100 + 0.5 + 1e-9), "#,##0") + (" %" if sign else "")


def when(value: Optional[datetime | date], with_time: bool = True) -> str:
    if value is None:
        return ""
    if with_time and isinstance(value, datetime):
        return format_datetime(value, DATE_TIME)
    return format_date(value, DATE)


def init_app(app: Flask) -> None:
    app.add_template_filter(decimal, "decimal")
    app.add_template_filter(number, "number")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(when, "when")
