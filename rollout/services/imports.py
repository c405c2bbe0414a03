"""CSV import of people: a job that checks the whole file, then writes it in batches.

The file is UTF-8 (with or without BOM; Windows-1252 from older Excel is accepted too), separated
by commas or semicolons (Swedish Excel), with the header `external_id,name,email,unit[,language]
[,attribute...]`. It is stored with its job in the database (services.jobs), so a runner on any
host can do the work; a small file (up to IMPORT_SYNC_MAX_LINES lines) is imported at once, in
the request, by the same steps.

All or nothing, streaming: the first pass reads the file record by record and keeps only its
problems (at most MAX_REPORTED) and a 64-bit fingerprint of each external id, to find the ids given
twice. A file with any problem fails the job and changes nothing. The second pass writes the
people in batches of WRITE_BATCH (person_writes.apply_upsert, set-based); each step's batches
(STEP_SECONDS of them) are committed with the job's checkpoint, the records done: a runner that takes the job over after its runner died goes on
after the last committed step, so every row is written once. The audit entry is written with
the last batch. A check cut short starts again (it wrote nothing). Last, the people it added get
their buckets in every rollout that may still take them (bucket_jobs.import_step), a range of ids
of one rollout per step, so that a preview after a large import has nothing to write.
"""
from __future__ import annotations

import _csv
import codecs
import csv
import io
import itertools
import time
from array import array
from collections.abc import Iterator
from typing import IO, Any, Optional

import numpy
from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Job, JobState, Rollout, User
from . import audit, bucket_jobs, jobs, rollouts
from .accounts import can_view, require_people_manager
from .errors import FieldErrors, ValidationFailed
from .people import ATTRIBUTE_KEY, RESERVED, UpsertResult, apply_upsert, check_person
from .people import upsert_people as upsert

KIND = "import_people"
REQUIRED_COLUMNS = ("external_id", "name", "email")
MAX_REPORTED = 1000
SYNC_MAX_LINES = 1000  # a file of at most this many lines is imported in the request
CHECK_STEP = 25_000  # records checked per step (each step renews the job's lease)
WRITE_BATCH = 2_000  # people written per batch (a step writes batches for up to STEP_SECONDS)
STEP_SECONDS = 2.0  # a step's work before it commits its checkpoint


# --- the upload ------------------------------------------------------------------------------

class Upload:
    """The file as pieces to store, counting its lines and finding its encoding as they pass."""

    def __init__(self, data: bytes | str | IO[bytes]):
        self.data = data.encode("utf-8") if isinstance(data, str) else data
        self.lines = 0
        self.encoding = "utf-8-sig"
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._last = b""

    def pieces(self) -> Iterator[bytes]:
        for piece in self._raw_pieces():
            self.lines += max(piece.count(b"\n"), piece.count(b"\r"))
            self._last = piece[-1:]
            if self.encoding == "utf-8-sig":
                try:
                    self._decoder.decode(piece)
                except UnicodeDecodeError:
                    self.encoding = "cp1252"
            yield piece
        if self._last not in (b"", b"\n", b"\r"):
            self.lines += 1
        if self.encoding == "utf-8-sig":
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.encoding = "cp1252"

    def _raw_pieces(self) -> Iterator[bytes]:
        if isinstance(self.data, bytes):
            view = memoryview(self.data)
            for start in range(0, len(view), jobs.PIECE):
                yield bytes(view[start:start + jobs.PIECE])
            return
        while piece := self.data.read(jobs.PIECE):
            yield piece


def start_import(data: bytes | str | IO[bytes], actor: Optional[User], *, source: str = "csv",
                 for_rollout: Optional[str] = None, at_once: Optional[bool] = None) -> Job:
    """Store the file as an import job. A small file (or any, with `at_once`) is imported now: the
    job is done or failed when this returns; a larger one is queued for a runner. With
    `for_rollout` (a key), the people it adds are marked as added for that rollout, so that its
    retention deletes them with it when they are in no other."""
    require_people_manager(actor)
    rollout = rollout_to_import_for(for_rollout, actor)
    upload = Upload(data)
    params = {"source": source, "for_rollout": rollout.key if rollout is not None else None,
              "language": str(get_locale() or "sv")}
    job = jobs.enqueue(KIND, params, actor, rollout=rollout, pieces=upload.pieces(), commit=False)
    job.params = {**params, "encoding": upload.encoding}  # known once every piece has passed
    job.progress_total = max(upload.lines - 1, 0)
    db.session.commit()
    if at_once is None:
        at_once = upload.lines <= int(current_app.config.get("IMPORT_SYNC_MAX_LINES", SYNC_MAX_LINES))
    if at_once:
        owner = jobs.runner_name()
        if jobs.claim(owner, job_id=job.id) is not None:
            return jobs.run_job(job.id, owner) or job
    return job


def outcome(job: Job) -> UpsertResult:
    """A finished import job's counts; a failed one's problems as the ValidationFailed they were."""
    if job.state == JobState.FAILED:
        raise ValidationFailed(job.message, list(job.errors))
    return UpsertResult(int(job.result.get("created", 0)), int(job.result.get("updated", 0)))


def import_people_csv(data: bytes | str | IO[bytes], actor: Optional[User], *, source: str = "csv",
                      for_rollout: Optional[str] = None) -> UpsertResult:
    """Import the file now, whatever its size (the command line, the tests): start_import at once."""
    return outcome(start_import(data, actor, source=source, for_rollout=for_rollout, at_once=True))


# --- reading the stored file -----------------------------------------------------------------

class CsvFile:
    """The job's file read as CSV, streaming: the header checked, then the people record by record."""

    def __init__(self, job: Job, problems: FieldErrors):
        encoding = job.params.get("encoding", "utf-8-sig")
        raw = jobs.PieceReader(jobs.file_pieces(job.id))
        text = io.TextIOWrapper(io.BufferedReader(raw, jobs.PIECE), encoding=encoding, newline="",
                                errors="strict" if encoding == "utf-8-sig" else "replace")
        self.problems = problems
        self.records_read = 0
        first = text.readline()
        if not first.strip():
            problems.add("", _("The file is empty; the first line must be the header."), line=1)
            problems.raise_if_any(_("The file could not be imported."))
        delimiter = ";" if first.count(";") > first.count(",") else ","
        self.reader = csv.reader(itertools.chain([first], text), delimiter=delimiter)
        self.header = [column.strip().lower() for column in next(self._records(), [])]
        problems.raise_if_any(_("The file could not be imported."))
        self._check_header()
        self.attribute_columns = [(c, i) for i, c in enumerate(self.header) if c not in RESERVED]
        self.at = {c: self.header.index(c) for c in RESERVED if c in self.header}
        self.records_read = 0  # the records after the header: what a checkpoint counts
        self.records = self._records()

    def _check_header(self) -> None:
        problems = self.problems
        for column in REQUIRED_COLUMNS:
            if column not in self.header:
                problems.add(column, _("The header has no column %(column)s.", column=column), line=1)
        seen_columns = set()
        for column in self.header:
            if column in seen_columns:
                problems.add(column, _("The column %(column)s appears twice in the header.", column=column), line=1)
            seen_columns.add(column)
            if column not in RESERVED and not ATTRIBUTE_KEY.match(column):
                problems.add(column, _("Attribute columns are named with lower-case letters, digits and _."), line=1)
        problems.raise_if_any(_("The file could not be imported: the header is not right."))

    def _records(self) -> Iterator[list[str]]:
        """The reader's rows; a line the csv module cannot read is reported with its number, and ends the file."""
        reader: _csv.Reader = self.reader
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                self.problems.add("", _("This line cannot be read as CSV: %(reason)s.", reason=str(error)),
                                  line=max(reader.line_num, 1))
                return
            self.records_read += 1
            yield record

    @property
    def line(self) -> int:
        return int(self.reader.line_num)

    def person(self, record: list[str], problems: Optional[FieldErrors]) -> Optional[dict]:
        """The record as a checked person (cleaned as people.clean_person cleans); None for a blank
        line or after noting its problems. Without `problems`, only cleaned (the file was checked)."""
        cells = [cell.strip() for cell in record]
        if not any(cells):
            return None
        if len(cells) != len(self.header):
            if problems is not None:
                problems.add("", _("Expected %(expected)s fields but found %(found)s.", expected=len(self.header),
                                   found=len(cells)), line=self.line)
            return None
        at = self.at
        row = {"external_id": cells[at["external_id"]], "name": cells[at["name"]],
               "email": cells[at["email"]].lower(), "unit": cells[at["unit"]] if "unit" in at else "",
               "language": (cells[at["language"]] or "sv").lower() if "language" in at else "sv",
               "attributes": {column: cells[index] or None for column, index in self.attribute_columns}}
        return row if problems is None else check_person(row, problems, line=self.line)

    def skip(self, records: int) -> None:
        for _record in itertools.islice(self.records, records):
            pass


# --- the job's steps -------------------------------------------------------------------------

class Check:
    """The first pass: every line checked, only the problems and the ids' fingerprints kept."""

    def __init__(self, job: Job):
        self.job, self.problems = job, FieldErrors()
        self.file = CsvFile(job, self.problems)
        self.fingerprints = array("q")
        self.rows = 0
        self.finished = False

    def run(self, records: int) -> None:
        """Check up to `records` more records; `finished` once the file is read (or too bad to go on)."""
        for count, record in enumerate(self.file.records, start=1):
            if len(self.problems.items) >= MAX_REPORTED - 1:
                self._stopped()
                return
            row = self.file.person(record, self.problems)
            if row is not None:
                self.fingerprints.append(hash(row["external_id"]))
                self.rows += 1
            if count >= records:
                return  # the next step goes on from here
        self._end()

    def _stopped(self) -> None:
        self.problems.add("", _("Stopped after %(n)s errors; correct these and import again.", n=MAX_REPORTED),
                          line=self.file.line)
        self.finished = True

    def _end(self) -> None:
        self.finished = True
        self._repeated_ids()
        if not self.rows and not self.problems.items:
            self.problems.add("", _("The file has a header but no people."), line=2)

    def _repeated_ids(self) -> None:
        """The lines whose external id an earlier line has: the fingerprints that repeat, then (only
        when some do) a second reading of the file for their lines."""
        if len(self.fingerprints) < 2:
            return
        ordered = numpy.sort(numpy.frombuffer(self.fingerprints, dtype=numpy.int64))
        repeated = set(ordered[1:][ordered[1:] == ordered[:-1]].tolist())
        if not repeated:
            return
        file, ignored = CsvFile(self.job, FieldErrors()), FieldErrors()
        first_line_of: dict[str, int] = {}
        for record in file.records:
            row = file.person(record, ignored)
            if row is None or hash(row["external_id"]) not in repeated:
                continue
            if row["external_id"] in first_line_of:
                self.problems.add("external_id", _("The external id %(id)s is also on line %(line)s.",
                                                   id=row["external_id"], line=first_line_of[row["external_id"]]),
                                  line=file.line)
            else:
                first_line_of[row["external_id"]] = file.line
        items = sorted(self.problems.items, key=lambda item: int(str(item.get("line", 0))))
        if len(items) > MAX_REPORTED:
            items = items[:MAX_REPORTED - 1] + [{"field": "", "line": items[MAX_REPORTED - 1]["line"], "message": _(
                "Stopped after %(n)s errors; correct these and import again.", n=MAX_REPORTED)}]
        self.problems.items = items


def _rollout_of(job: Job) -> Optional[Rollout]:
    if not job.params.get("for_rollout"):
        return None
    rollout = db.session.get(Rollout, job.rollout_id) if job.rollout_id is not None else None
    if rollout is None or rollout.purged_at is not None:
        raise ValidationFailed(_("Nothing was imported: the rollout is not right."), [
            {"field": "rollout", "message": _("No such rollout.")}])
    return rollout


def import_step(job: Job, scratch: dict[str, Any]) -> bool:
    """One step of an import job (services.jobs): a part of the check, one batch of people, or the
    buckets of the people it added."""
    if job.checkpoint.get("phase") == "buckets":
        if not bucket_jobs.import_step(job):
            return False
        job.result = {key: value for key, value in job.result.items() if key != "phase"}
        return True
    if job.checkpoint.get("phase") != "write":
        check = scratch.get("check")
        if check is None:
            check = scratch["check"] = Check(job)
        check.run(CHECK_STEP)
        job.result = {"phase": "check", "checked": check.file.records_read}
        if check.finished:
            del scratch["check"]
            check.problems.raise_if_any(_("Nothing was imported: the file has errors."))
            # the people it adds have higher ids than anyone now: theirs are the buckets to store last
            job.checkpoint = {"phase": "write", "records": 0, "created": 0, "updated": 0,
                              "before": bucket_jobs.last_person_id()}
            job.progress_total, job.progress_done = check.rows, 0
            job.result = {"phase": "write"}
        return False
    return _write_batch(job, scratch)


def _write_batch(job: Job, scratch: dict[str, Any]) -> bool:
    """Batches of WRITE_BATCH people until the file ends or the step has taken STEP_SECONDS; one
    commit per step (the runner's), with the checkpoint: each commit costs a flush to disk."""
    checkpoint = dict(job.checkpoint)
    file: Optional[CsvFile] = scratch.get("file")
    if file is None or file.records_read != checkpoint["records"]:
        file = scratch["file"] = CsvFile(job, FieldErrors())
        file.skip(checkpoint["records"])
    actor = db.session.get(User, job.actor_id) if job.actor_id is not None else None
    added_for = _rollout_of(job)
    started = time.monotonic()
    while True:
        rows: list[dict] = []
        for record in file.records:
            row = file.person(record, None)  # checked by the first pass: only cleaned here
            if row is not None:
                rows.append(row)
                if len(rows) >= WRITE_BATCH:
                    break
        result = apply_upsert(rows, actor, added_for=added_for)
        # a new dict each time: the JSON column sees a change by assignment only (and an autoflush
        # between two batches has made the previous dict the stored one)
        checkpoint = {**checkpoint, "records": file.records_read, "created": checkpoint["created"] + result.created,
                      "updated": checkpoint["updated"] + result.updated}
        job.checkpoint = checkpoint
        job.progress_done += len(rows)
        if len(rows) < WRITE_BATCH:
            break
        if time.monotonic() - started >= STEP_SECONDS:
            return False
    details = {"source": job.params.get("source", "csv"), "created": checkpoint["created"],
               "updated": checkpoint["updated"], "rows": job.progress_done, "job": job.id}
    if job.params.get("for_rollout"):
        details["for_rollout"] = job.params["for_rollout"]
    audit.record(actor, "people.import", details=details)
    job.result = {"created": checkpoint["created"], "updated": checkpoint["updated"], "rows": job.progress_done}
    if not checkpoint["created"]:
        return True
    job.checkpoint = bucket_jobs.after_import(checkpoint)
    if not job.checkpoint["rollouts"]:
        return True
    job.result = {**job.result, "phase": "buckets"}
    return False


def import_stopped(job: Job) -> None:
    """A cancelled import (services.jobs.STOPPED): the people its committed batches wrote stay, and
    its result says how many (its audit entry too: they were imported); a check cut short wrote none."""
    checkpoint = job.checkpoint or {}
    if checkpoint.get("phase") != "write":
        job.result = {"phase": "check", "checked": int((job.result or {}).get("checked", 0)), "rows": 0}
        return
    counts = {"created": int(checkpoint.get("created", 0)), "updated": int(checkpoint.get("updated", 0)),
              "rows": job.progress_done}
    job.result = {"phase": "write", **counts}
    if job.progress_done:
        actor = db.session.get(User, job.actor_id) if job.actor_id is not None else None
        details = {"source": job.params.get("source", "csv"), **counts, "job": job.id, "cancelled": True}
        if job.params.get("for_rollout"):
            details["for_rollout"] = job.params["for_rollout"]
        audit.record(actor, "people.import", details=details)


# --- shared with the JSON upsert -------------------------------------------------------------

def rollout_to_import_for(key: object, actor: Optional[User]) -> Optional[Rollout]:
    """The rollout named by `key` that people are imported for (None without a key); a key of
    no rollout the actor may see, or of one whose personal data is purged, is a ValidationFailed."""
    if key is None or key == "":
        return None
    problems = FieldErrors()
    rollout = None
    if isinstance(key, str) and rollouts.KEY.match(key.strip()):
        rollout = db.session.scalar(select(Rollout).where(Rollout.key == key.strip()))
    if rollout is None or (actor is not None and not can_view(actor, rollout)):
        problems.add("rollout", _("No such rollout."))
    elif rollout.purged_at is not None:
        problems.add("rollout", _("This rollout's personal data has been purged; import the people without it."))
    problems.raise_if_any(_("Nothing was imported: the rollout is not right."))
    return rollout


def upsert_people(items: list, actor: Optional[User], *, source: str = "api",
                  for_rollout: Optional[str] = None) -> UpsertResult:
    """people.upsert_people, optionally for a rollout named by its key (as import_people_csv)."""
    require_people_manager(actor)
    return upsert(items, actor, source=source, added_for=rollout_to_import_for(for_rollout, actor))

