"""One heavy call of the app in a process of its own, so that its peak memory is its own:
`python -m benchmarks.child <what> <database url> <argument>` prints one JSON line with the
call's wall time, the resident set before it and the process's peak resident set during it:
the kernel's high-water mark (VmHWM, what resource.getrusage's ru_maxrss reports), reset
just before the call through /proc/self/clear_refs. Without the reset, ru_maxrss of a child
carries the high-water mark of the benchmark process it was forked from. No slowdown, and C
allocations count too (tracemalloc would slow the measured code several times over and
see Python's allocations only).

- `import <url> <csv file>`: services.imports.import_people_csv of that file (no actor: a
  system import)
- `start <url> <wave id>`: waves.transition(wave, "active"), which fixes the wave's members
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(what: str, url: str, argument: str) -> dict:
    """Run this module in a new Python process and return what it measured."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.child", what, url, argument], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmarks.child {what} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _measure(call) -> dict:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from the current RSS
        reset = True
    except OSError:
        reset = False
    before = _status_kib("VmRSS")
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    # KiB; without the reset, ru_maxrss (an over-estimate: it may be the parent's)
    peak = _status_kib("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "rss_before_kib": before, "peak_rss_kib": peak, "result": result,
            "peak_reset": reset}


def main(what: str, url: str, argument: str) -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.common import make_app
    from rollout.extensions import db
    app = make_app(url)
    with app.test_request_context():
        if what == "import":
            data = Path(argument).read_bytes()
            from rollout.services import imports
            measured = _measure(lambda: imports.import_people_csv(data, None).created)
        elif what == "start":
            from rollout.models import Wave
            from rollout.services import waves
            wave = db.session.get_one(Wave, int(argument))
            measured = _measure(lambda: waves.transition(wave, "active", None).members_count)
        else:
            raise SystemExit(f"unknown: {what}")
        db.session.remove()
        db.engine.dispose()
    print(json.dumps(measured))


if __name__ == "__main__":
    main(*sys.argv[1:4])
