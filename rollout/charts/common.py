"""What every chart shares: the figure and its Agg canvas, the fonts, colours and
rc settings, the one lock around matplotlib, `Chart`, and turning a chart into
SVG or PNG bytes (`render`) or into a cache key (`fingerprint`).

Output is deterministic: the same data and labels give byte-identical SVG and
PNG, whatever else the process drew before, in whichever order and format.
That takes four things, all here:

- fixed settings: a fixed figure size, matplotlib's built-in rc defaults (not
  the host's matplotlibrc) with ours on top, a fixed SVG hash salt, no dates or
  software versions in the file metadata;
- a layout made once: constrained layout runs on every draw with the renderer
  of the format being saved (SVG measures text at 72 dpi, Agg at ours), and
  starts from wherever the previous draw left the axes; so `Chart.figure` lays
  the figure out once with its Agg canvas and then switches the layout engine
  off, and every save after that draws the same frozen layout;
- numpy's print options pinned while drawing and saving: the SVG backend makes
  its ids (clip paths, hatches) from `str()` of numpy numbers and transforms;
- one lock around all of it (below), so no other thread changes the global
  rcParams half-way through.

So the app can cache a chart on `fingerprint(...)` of its inputs and use that
as the ETag.
"""
from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import matplotlib
import numpy
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "CHART_VERSION", "DPI", "FORMATS", "HEIGHT_INCHES", "MEDIA_TYPES", "WIDTH_INCHES", "Chart", "Table",
    "fingerprint", "matplotlib_state", "new_figure", "render",
]

#: Bump whenever a change here changes the pictures, so cached charts and
#: their ETags (see `fingerprint`) are invalidated.
CHART_VERSION = 4

FORMATS = ("svg", "png")
MEDIA_TYPES: Mapping[str, str] = {"svg": "image/svg+xml", "png": "image/png"}

WIDTH_INCHES = 8.0
HEIGHT_INCHES = 4.5
DPI = 100  # PNG is WIDTH_INCHES * DPI x HEIGHT_INCHES * DPI = 800 x 450 pixels

#: Okabe & Ito's palette, distinguishable with the common colour-vision
#: deficiencies; series are also told apart by hatch or marker, so colour is
#: never the only carrier.
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY_BLUE, YELLOW, BLACK = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
)
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY_BLUE, YELLOW, BLACK)
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
GRID_COLOUR = "#DDDDDD"
MUTED_TEXT = "#444444"

#: (header row, data rows); every cell is display text, formatted like the alt text.
Table = tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]


# --- matplotlib state ---------------------------------------------------------

# Threads: matplotlib is not thread-safe. Separate Figures share module-level
# caches (fonts -- one FT2Font object per file, used by every renderer --,
# text layout, mathtext), and deterministic SVG needs `svg.hashsalt`, which
# the SVG backend reads only from the global rcParams (savefig has no
# parameter for it). `rc_context` sets and restores those global rcParams, so
# two threads inside it would restore each other's values half-way through a
# draw. We therefore guard every piece of matplotlib work -- drawing a figure
# (on the first use of `Chart.figure`) and rendering it -- with one
# module-level lock and apply our settings with rc_context inside it. The lock
# is not reentrant: `render` has the figure drawn first and takes the lock for
# saving after, never the one inside the other. Rendering is CPU-bound Python
# under the GIL, so the lock costs little throughput, and the rendered bytes
# are cached by the app anyway. Only this package uses matplotlib in the app,
# so nothing else sees our rc values while the lock is held.
_LOCK = threading.Lock()

# Start from matplotlib's built-in defaults rather than whatever matplotlibrc
# the server has, so the pictures (and their bytes) do not depend on the host.
_RC: dict[Any, Any] = {
    key: value
    for key, value in matplotlib.rcParamsDefault.items()
    if not key.startswith(("backend", "interactive", "webagg", "toolbar"))
}
_RC.update({
    "svg.hashsalt": f"rollout-charts-{CHART_VERSION}",  # stable ids for clip paths, hatches, glyphs
    "svg.id": None,
    "svg.fonttype": "path",  # glyphs as paths: looks the same without the font installed
    "font.family": "DejaVu Sans",  # ships with matplotlib; has å ä ö
    "font.size": 10,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "hatch.linewidth": 1.0,
    "date.epoch": "1970-01-01T00:00:00",
    "timezone": "UTC",
    # labels are the rollout's own words (categories, options, wave names): drawn as text, never
    # as mathtext, so that "$5 or $10" is a label and not a formula that breaks the drawing
    "text.parse_math": False,
})

# numpy's own defaults, named in full: the SVG backend hashes str() of numpy
# numbers and matrices into its ids, and str() follows these options, which
# any other code in the process may have changed (legacy="1.25" writes
# np.float64(0.5) as "0.5", the default as "np.float64(0.5)").
_NUMPY_PRINT: dict[str, Any] = {
    "precision": 8, "threshold": 1000, "edgeitems": 3, "linewidth": 75, "suppress": False,
    "nanstr": "nan", "infstr": "inf", "sign": "-", "formatter": None, "floatmode": "maxprec", "legacy": False,
    "override_repr": None,  # numpy 2.1 and later
}
_NUMPY_PRINT = {key: value for key, value in _NUMPY_PRINT.items() if key in numpy.get_printoptions()}


@contextmanager
def matplotlib_state() -> Iterator[None]:
    """The chart lock held, our rc settings and numpy's default print options in force."""
    with _LOCK, matplotlib.rc_context(_RC), numpy.printoptions(**_NUMPY_PRINT):
        yield


def new_figure(title: str) -> tuple[Figure, Axes]:
    """A fixed-size figure on its own Agg canvas, with `title` above one axes."""
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    # A figure title (not an axes title), so a legend can sit between it and the plot.
    figure.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
    axes = figure.add_subplot()
    return figure, axes


@dataclass(eq=False)
class Chart:
    """A built chart: its title, text alternative and data table, and its figure, drawn on first use.

    `draw(figure, axes)` fills a new figure (already titled); the title, alt
    text and table never need it, so describing a chart costs no drawing.
    """

    title: str
    alt: str
    table: Table
    draw: Callable[[Figure, Axes], None] = field(repr=False)
    _figure: Figure | None = field(default=None, init=False, repr=False)

    @property
    def drawn(self) -> bool:
        """Whether the figure has been drawn yet."""
        return self._figure is not None

    @property
    def figure(self) -> Figure:
        """The figure, drawn and laid out once (on first use); its layout never changes after."""
        if self._figure is None:
            with matplotlib_state():
                if self._figure is None:  # another thread may have drawn it while this one waited
                    figure, axes = new_figure(self.title)
                    self.draw(figure, axes)
                    # Lay it out once, with the Agg canvas's text metrics, and keep that layout:
                    # otherwise each savefig lays it out again with its own format's renderer,
                    # starting from the last layout, and SVG after PNG differs from SVG alone.
                    figure.draw_without_rendering()
                    figure.set_layout_engine("none")
                    self._figure = figure
        return self._figure


# --- rendering ----------------------------------------------------------------


def render(chart: Chart, fmt: str) -> bytes:
    """The chart as SVG or PNG bytes; the same chart data always gives the same bytes.

    PNG is WIDTH_INCHES x HEIGHT_INCHES at DPI (800 x 450 pixels). Raises
    ValueError for any format other than "svg" and "png".
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}; expected one of {', '.join(FORMATS)}")
    # No date, no software version in the file: the bytes depend on the data only.
    metadata: dict[str, str | None] = (
        {"Date": None, "Creator": None, "Title": chart.title} if fmt == "svg" else {"Software": None}
    )
    buffer = io.BytesIO()
    figure = chart.figure  # drawn now if not yet, under the lock, which is free again before we take it below
    with matplotlib_state():
        # savefig hands SVG to backend_svg's FigureCanvasSVG and PNG to Agg, then
        # puts the figure's FigureCanvasAgg back.
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def _source_digest() -> str:
    """A digest of this package's source. Drawn charts outlive the process (the app stores them in
    the database, shared by every worker and host), so a change to how they are drawn must give
    new keys even where CHART_VERSION was not bumped; hosts running the same code agree."""
    digest = hashlib.sha256()
    try:
        for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
            digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    except OSError:  # installed without its source: CHART_VERSION alone has to say it
        return ""
    return digest.hexdigest()[:16]


SOURCE_DIGEST = _source_digest()


def fingerprint(*data: object) -> str:
    """A stable SHA-256 hex digest of `data` and CHART_VERSION, for caching and ETags.

    Pass everything the picture depends on: the chart's name, its data, the
    labels (i.e. the language), the format and, for the timeline, today.
    Dataclasses, dates, tuples, lists, mappings and sets are understood. The
    matplotlib version and a digest of this package's source are included too,
    since an upgrade or a change to the drawing changes the bytes.
    """
    payload = json.dumps(
        [CHART_VERSION, matplotlib.__version__, SOURCE_DIGEST, list(data)],
        default=_jsonable, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _jsonable(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return {"__type__": type(value).__name__, **{f.name: getattr(value, f.name) for f in fields(value)}}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")
