"""`make bench`: the six figures of issue 13 ("Scale and speed"), each as a ratio measured in
one run against a yardstick measured in the same run, with the raw numbers beside it and the
goal, on PostgreSQL and (where it applies) SQLite. Each figure builds its own database and
drops it afterwards; gunicorn is started and stopped here on free loopback ports.

    make bench                                  the issue's sizes (full)
    BENCH_SIZES=quick make bench                smaller sizes, a few minutes
    BENCH_DATABASES=postgresql make bench       one database only (postgresql, sqlite)
    BENCH_FIGURES=1,3 make bench                some figures only

It measures; it does not judge the design. A ratio measured at the quick sizes is not the
issue's figure (a cost that grows with the data shows less at 20,000 than at 100,000): the
size column says which. `make bench-operations` times the other heavy operations
(benchmarks/operations.py).
"""
from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Row, Sizes, chosen_backends, chosen_sizes, postgres_reachable  # noqa: E402
from benchmarks.figures import imports, invitations, results, submits, waves  # noqa: E402

FIGURES: dict[str, Callable[[str, Sizes], Row]] = {
    "1": submits.measure,
    "2": results.measure_results,
    "3": results.measure_chart,
    "4": imports.measure,
    "5": waves.measure,
    "6": invitations.measure,
}


def chosen_figures() -> list[str]:
    wanted = [f.strip() for f in os.environ.get("BENCH_FIGURES", ",".join(FIGURES)).split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FIGURES]
    if unknown:
        raise SystemExit(f"BENCH_FIGURES: no figure {', '.join(unknown)} (1-6)")
    return wanted


def print_table(rows: list[Row]) -> None:
    headers = ("figure", "db", "size", "measured (raw)", "ratio", "goal", "met?")
    cells = [(r.figure, r.backend, r.size, r.raw, "-" if r.ratio is None else f"{r.ratio:.2f}", r.goal,
              "-" if r.met is None else "yes" if r.met else "NO") for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-" * len(line))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
    print()
    for r in rows:
        for note in r.notes:
            print(f"  {r.figure.split()[0]} {r.backend}: {note}")


def main() -> None:
    sizes, backends, figures = chosen_sizes(), chosen_backends(), chosen_figures()
    skipped_pg = postgres_reachable() if "postgresql" in backends else None
    print(f"make bench: sizes {sizes.name}, databases {', '.join(backends)}, figures {', '.join(figures)}", flush=True)
    rows: list[Row] = []
    began = time.perf_counter()
    for key in figures:
        for backend in backends:
            if backend == "postgresql" and skipped_pg:
                rows.append(Row.skipped(key, backend, f"PostgreSQL unreachable: {skipped_pg}"))
                continue
            start = time.perf_counter()
            try:
                row = FIGURES[key](backend, sizes)
            except Exception as error:  # noqa: BLE001  (one broken figure must not hide the others)
                traceback.print_exc()
                row = Row.skipped(key, backend, f"failed: {error.__class__.__name__}: {error}"[:200])
            rows.append(row)
            print(f"  figure {key} on {backend}: {time.perf_counter() - start:.0f} s"
                  f" ({'-' if row.ratio is None else f'{row.ratio:.2f}'})", flush=True)
    print()
    print_table(rows)
    print(f"\n{len(rows)} measurements in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
