"""python -m benchmarks.load (see the package's docstring)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from benchmarks.common import postgres_reachable  # noqa: E402
from benchmarks.load.run import P95_GOAL, Settings, run  # noqa: E402


def load_average() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1, 5, 15 min)"


def main() -> int:
    settings = Settings.from_environment()
    unreachable = postgres_reachable()
    if unreachable:
        print(f"make load needs PostgreSQL (TEST_DATABASE_URL): {unreachable}")
        return 2
    print(f"make load: {settings.users} participants, {settings.seconds:.0f} s per round, {settings.members} "
          f"members per round, think {settings.think:g} s, rounds: {', '.join(settings.rounds)}; "
          f"{os.cpu_count()} CPUs, {load_average()}", flush=True)
    rounds = run(settings, report=lambda line: print(line, flush=True))
    missed = [goal for r in rounds for goal in r.missed()]
    print(f"\nafterwards: {load_average()} (the client, gunicorn, PostgreSQL and whatever else runs here share the CPUs)")
    if missed:
        print("goals missed:")
        for goal in missed:
            print(f"  {goal}")
        return 1
    print(f"goals met: 0 errors, 0 lost, p95 under {1000 * P95_GOAL:.0f} ms for every kind")
    return 0


if __name__ == "__main__":
    sys.exit(main())
