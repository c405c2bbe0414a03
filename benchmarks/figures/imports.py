"""Figure 4: importing people from CSV through the app's service (import_people_csv, in a
process of its own: the file stored with its job in the database, then the job's steps run to
the end in that process, as a runner does: the check of every line, then the batches) against a raw DB-API executemany of the same rows (the file decoded and
read with the csv module, then the units and people inserted with every column the app
writes), at the large size; the peak memory of the importing process at the small and the
large size. Each import starts from empty people and units tables in the figure's database."""
from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

from .. import child
from ..common import Row, Sizes, fresh_database, make_app, mib
from ..seed import people_csv

GOAL = 3.0
# "memory flat": the large import may grow the process by at most this much more than the small
FLAT_FACTOR = 1.5


def _empty_people(app) -> None:
    from rollout.extensions import db
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("TRUNCATE people, units, audit_events RESTART IDENTITY CASCADE"))
        else:
            for table in ("people", "units", "audit_events"):
                db.session.execute(text(f"DELETE FROM {table}"))
        db.session.commit()


def raw_executemany(app, data: bytes) -> float:
    """Seconds to decode and read the file and insert its rows with DB-API executemany."""
    from rollout.extensions import db
    with app.app_context():
        connection = db.engine.raw_connection()
        mark = "%s" if db.engine.dialect.name == "postgresql" else "?"
        try:
            start = time.perf_counter()
            reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
            header = next(reader)
            rows = [dict(zip(header, record, strict=True)) for record in reader]
            now = datetime.now(timezone.utc)
            cursor = connection.cursor()
            unit_names = sorted({row["unit"] for row in rows})
            cursor.executemany(f"INSERT INTO units (name, created_at) VALUES ({mark}, {mark})",
                               [(name, now) for name in unit_names])
            cursor.execute("SELECT name, id FROM units")
            unit_ids = dict(cursor.fetchall())
            columns = "external_id, name, email, unit_id, language, attributes, search_text, created_at, updated_at"
            marks = ", ".join([mark] * 9)
            cursor.executemany(f"INSERT INTO people ({columns}) VALUES ({marks})", [
                (row["external_id"], row["name"], row["email"], unit_ids[row["unit"]], "sv",
                 json.dumps({"site": row["site"]}),
                 f"{row['name']} {row['email']} {row['external_id']}".casefold(), now, now) for row in rows])
            connection.commit()
            return time.perf_counter() - start
        finally:
            connection.close()


def measure(backend: str, sizes: Sizes) -> Row:
    name = "4 CSV import: app / raw executemany"
    with fresh_database(backend, "import") as url, tempfile.TemporaryDirectory() as folder:
        app = make_app(url)
        files = {}
        for n in (sizes.import_small, sizes.import_large):
            files[n] = Path(folder) / f"people-{n}.csv"
            files[n].write_bytes(people_csv(n))
        raw_s = raw_executemany(app, files[sizes.import_large].read_bytes())
        measured = {}
        for n in (sizes.import_small, sizes.import_large):
            _empty_people(app)
            measured[n] = child.run("import", url, str(files[n]))
            assert measured[n]["result"] == n, measured[n]
        from rollout.extensions import db
        with app.app_context():
            db.engine.dispose()
    small, large = measured[sizes.import_small], measured[sizes.import_large]

    def growth(m: dict) -> float:
        return mib(m["peak_rss_kib"] - m["rss_before_kib"])

    ratio = large["seconds"] / raw_s
    flat = growth(large) <= FLAT_FACTOR * max(growth(small), 1.0)
    raw = (f"{large['seconds']:.1f} vs {raw_s:.2f} s; peak RSS {mib(small['peak_rss_kib']):.0f} MiB at "
           f"{sizes.import_small:,}, {mib(large['peak_rss_kib']):.0f} MiB at {sizes.import_large:,}")
    notes = [f"growth during the import (peak - RSS before): +{growth(small):.0f} MiB at {sizes.import_small:,}, "
             f"+{growth(large):.0f} MiB at {sizes.import_large:,} (peak RSS of the importing process, see benchmarks/child.py)",
             f"import at {sizes.import_small:,}: {small['seconds']:.2f} s; 'flat' here: growth at the large "
             f"size <= {FLAT_FACTOR} x the small's"]
    return Row(name, backend, f"{sizes.import_large:,} people", raw, ratio, f"<= {GOAL:g}, memory flat",
               ratio <= GOAL and flat, notes)
