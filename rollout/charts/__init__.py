"""Charts of a rollout's results: plain data in, SVG or PNG bytes out.

Each builder takes plain Python data -- the dataclasses `WaveShare`,
`TimelineRow` and `Withheld`, lists, dicts, dates -- and returns a `Chart`:
its title, the plain text alternative for the image (`alt`), the same numbers
as a data table (`table`) to show beside it, and the matplotlib `Figure`,
drawn only when first asked for (a results page needs the texts of every
chart, not their pictures). `render(chart, "svg" | "png")` turns the figure
into bytes, the same bytes for the same data whatever was drawn before (see
common). Nothing here knows about Flask, the database or the request, so a
chart can be tested, benchmarked or rendered from the CLI without an app.

All human-readable text comes from a `Labels` mapping passed by the caller
(the web app passes its translated strings and its locale's separators);
every key has an English default in `DEFAULT_LABELS` (texts), so a caller
passes only what it translates. Values are `str.format` templates; the
placeholders each key may use are the ones in its default (an unknown
placeholder is left as is instead of failing the page). Every number, in the
picture as in the texts, is written with the labels' separators.

The modules, one per family of charts:

- shares: `satisfaction` and `response_rate`, a share per wave with its interval and gate;
- problem_reports: `problems`, reports per 100 members by category;
- lesson_counts: `lessons`, raised, applied and verified per wave;
- schedule: `timeline`, planned and actual dates;
- answers: `distribution`, how one question was answered;
- pulse: `checkins`, a wave's check-ins as a trend of mean answers with intervals;

and what they share: common (figure, rc settings, colours, the lock, `Chart`,
`render`, `fingerprint`), drawing (axes, legends, ticks, input checks) and
texts (the words and numbers, no matplotlib).
"""
from __future__ import annotations

from .answers import distribution
from .common import CHART_VERSION, FORMATS, MEDIA_TYPES, Chart, Table, fingerprint, render
from .lesson_counts import lessons
from .problem_reports import problems
from .pulse import PulsePoint, checkins
from .schedule import TimelineRow, timeline
from .shares import WaveShare, response_rate, satisfaction
from .texts import DEFAULT_LABELS, Labels, Withheld

__all__ = [
    "CHART_VERSION",
    "DEFAULT_LABELS",
    "FORMATS",
    "MEDIA_TYPES",
    "Chart",
    "Labels",
    "PulsePoint",
    "Table",
    "TimelineRow",
    "WaveShare",
    "Withheld",
    "checkins",
    "distribution",
    "fingerprint",
    "lessons",
    "problems",
    "render",
    "response_rate",
    "satisfaction",
    "timeline",
]
