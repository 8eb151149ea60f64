"""Bulk import of reports from CSV and JSON files: the field mapping, validation of every
row, triage, and one transactional load (COPY on PostgreSQL), audited once per file.

Who may import: users with a filer role (their own agency owns the reports) and the
command line (``--agency`` names the owner). Each report is routed to its owner.

Files (checked by content, never by name): UTF-8 text, with or without a byte-order
mark, up to a size cap. Gzip, ZIP (so also .xlsx), bzip2, xz, 7z, RAR, tar and
other compressed or binary files are refused by their first bytes and never
unpacked; so are UTF-16 and UTF-32 text. ``format="auto"`` reads a file whose
first character is ``[`` or ``{`` as JSON, anything else as CSV.

CSV: the first row names the columns (case and spacing ignored, any order; an
unknown or repeated column refuses the file). Empty cells are "not given". List
cells hold entries separated by ``;``. Row numbers are a spreadsheet's: the header
is row 1. Columns::

    kind                     tip, sar or agency_report (default agency_report)
    narrative                required; at most 50,000 characters
    occurred_at              ISO 8601 with a zone: 2026-05-01T14:30:00-05:00 or ...Z
    reported_at              when the source system received it (same form; default:
                             the import); retention counts from it, so a row already
                             past the tip/lead limit is rejected
    location_text            at most 500 characters
    latitude, longitude      decimal degrees, both or neither
    behaviors                ISE-SAR behavior codes (vocabulary.Behavior), ;-separated
    weapons                  ;-separated
    target_types             school, house_of_worship, workplace, public_event,
                             government, named_person; ;-separated
    target_name
    marking                  CLEAR, GREEN, AMBER (default), AMBER+STRICT or RED
    protected_activity_only  true/false, yes/no, 1/0 (default false)

People named in the report: ``<who>_<field>``, where ``<who>`` is ``subject``,
``witness``, ``victim`` (victim or target) or ``reporting_party``, with a number
for more than one (``subject2_given_name``). A person is added when any of their
cells is filled. Fields: ``given_name``, ``middle_name``, ``family_name``,
``aliases`` (;), ``dob`` (YYYY-MM-DD), ``age_min``, ``age_max``, ``sex`` (female,
male, other, unknown), ``phones`` (;), ``emails`` (;), ``handles`` (;),
``addresses`` (;), ``school_or_employer``, ``description``.

JSON: an array of objects, or objects one after another (JSON lines). Each object
is exactly the body of ``POST /api/v1/reports`` (`schemas.ReportCreate`, people in
``mentions``) plus an optional ``reported_at``. Rows are numbered by item.

Every row is validated by `ReportCreate`, the same rules as the form and the API.
An import never shares: ``shared_agency_ids`` and ``recipient_user_ids`` are
refused; a TLP:RED report names the importing user as its one recipient (so the
command line, which has no user, cannot import RED). Text is stored as given —
HTML and script included — and escaped wherever it is shown. A NUL character or
invalid Unicode anywhere rejects the row. Values that start with ``=``, ``+``,
``-`` or ``@`` are stored as given too: whoever exports reports to CSV must
prefix such cells with ``'`` so spreadsheets do not run them as formulas.

The validation report lists every rejected row with all its reasons (the first
`KEPT_REJECTIONS` are kept in the result; ``on_rejection`` sees them all). By
default a file is all-or-nothing: one rejected row stores nothing. With
``partial=True`` the valid rows are stored and the others reported. A problem
that stops reading (malformed CSV quoting or JSON, an encoding error, the size
cap) is reported with its row; with ``partial`` the rows before it are kept.

Each stored report gets what interactive filing gives it (`service.file_report`):
a receipt number, triage (`score_urgency`, counting earlier reports about the same
subject in the agency, the file's earlier rows included), an acknowledgement
deadline, retention dates, a "filed" event and a search document. The whole file
is loaded in one transaction (a savepoint inside the caller's), in batches:
``COPY`` into reports, mentions, mention_identifiers, report_search and
report_events on PostgreSQL, ``executemany`` on SQLite (which holds its write lock
throughout). One audit event records the import: counts, the sanitised file name and
the file's SHA-256, never row contents. Rows stream through: at most a few batches
are in memory. With ``workers``, large files' rows are checked, triaged and put in
their stored form in worker processes (`import_rows`) while this process reads the
file, counts earlier reports in file order and writes; the outcome is the same.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, BinaryIO

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from vigil.platform import audit, policy
from vigil.platform.actor import Actor
from vigil.platform.errors import InvalidInput
from vigil.platform.models import Agency
from vigil.platform.settings import Settings
from vigil.platform.types import utcnow
from vigil.reports import numbers
from vigil.reports.import_formats import (
    ImportFileError,
    ImportSource,
    RawRow,
    check_content,
    detect_format,
    read_csv,
    read_json,
)
from vigil.reports.import_mapping import plan_columns
from vigil.reports.import_rows import (
    RETENTION_SETTINGS,
    ReadyRow,
    Rejection,
    RowContext,
    RowPreparer,
    finish_triage,
    prepare_in_worker,
    start_worker,
    to_wire,
)
from vigil.reports.import_storage import (
    ReportWriter,
    StorageRefused,
    Tables,
    make_writer,
    stored_time,
)
from vigil.reports.models import MentionIdentifier, Report
from vigil.reports.service import ack_deadline

__all__ = ["ImportResult", "Rejection", "import_reports"]

log = logging.getLogger("vigil.reports.importer")

FORMATS = ("auto", "csv", "json")
DEFAULT_MAX_BYTES = 2 * 1024 * 1024 * 1024
BATCH_ROWS = 2_000
POOL_AFTER_BATCHES = 5
KEPT_REJECTIONS = 1_000
# Triage gives points for at most three earlier reports; counting stops well above.
EARLIER_REPORTS_CAP = 50

# --- results -------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did; the validation report."""

    import_id: str
    filename: str
    file_format: str
    partial: bool
    agency_id: int
    sha256: str | None = None
    size_bytes: int = 0
    rows: int = 0
    valid: int = 0
    imported: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    fatal: str | None = None

    @property
    def complete(self) -> bool:
        """Every row of the file was read and imported."""
        return self.fatal is None and self.rejected == 0 and self.imported == self.rows > 0

    @property
    def outcome(self) -> str:
        return "success" if self.imported else "failure"


# --- names ---------------------------------------------------------------------------


def display_filename(name: str | None) -> str:
    """A file name safe to show and audit: no directories, controls or bidi tricks."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = "".join(
        ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C"
    )
    cleaned = " ".join(cleaned.split()).strip(". ")
    if len(cleaned) > 100:
        cleaned = cleaned[:99] + "…"
    return cleaned or "upload"


def _receipt_number() -> str:
    """Same form and entropy as `numbers.new_receipt_number` (60 random bits), without
    twelve calls to ``secrets.choice``: at a million rows that alone took 40 seconds."""
    bits = int.from_bytes(secrets.token_bytes(8), "big") >> 4
    chars = "".join(numbers.ALPHABET[(bits >> (5 * i)) & 31] for i in range(12))
    return f"VIG-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def _read_rows(source: ImportSource, file_format: str) -> tuple[tuple[str, ...], Iterator[RawRow]]:
    """The CSV header (checked against the mapping; empty for JSON) and the rows."""
    if file_format == "csv":
        names, rows = read_csv(source)
        plan_columns(names)
        return tuple(names), rows
    return (), read_json(source)


# --- earlier reports about the same subject ---------------------------------------------


class _EarlierReports:
    """Counts earlier reports about a row's subjects (`identifiers`: the same full name,
    or a shared phone, e-mail or handle): the agency's stored reports and the rows of
    this file before it. Identifiers are hashed (64 bits) to keep a million rows' index
    small."""

    def __init__(self) -> None:
        self._reports: dict[int, int | list[int]] = {}
        self._next_row_key = -1

    def load(self, db: Session, agency_id: int) -> None:
        rows = db.execute(
            select(MentionIdentifier.report_id, MentionIdentifier.kind, MentionIdentifier.value)
            .join(Report, Report.id == MentionIdentifier.report_id)
            .where(
                or_(
                    Report.owner_agency_id == agency_id,
                    Report.routed_agency_id == agency_id,
                )
            )
            .execution_options(yield_per=10_000)
        )
        for report_id, kind, value in rows:
            self._add({hash((kind, value))}, report_id)

    def _add(self, keys: set[int], report: int) -> None:
        for key in keys:
            known = self._reports.get(key)
            if known is None:
                self._reports[key] = report
            elif isinstance(known, int):
                if known != report:
                    self._reports[key] = [known, report]
            elif len(known) < EARLIER_REPORTS_CAP and report not in known:
                known.append(report)

    def count_and_add(self, subject_identifiers: list[tuple[str, str]]) -> int:
        if not subject_identifiers:
            return 0
        keys = {hash(identifier) for identifier in subject_identifiers}
        found: set[int] = set()
        for key in keys:
            known = self._reports.get(key)
            if isinstance(known, int):
                found.add(known)
            elif known:
                found.update(known)
        self._add(keys, self._next_row_key)
        self._next_row_key -= 1
        return min(len(found), EARLIER_REPORTS_CAP)


# --- rows through preparation (here or in workers) and storage -----------------------


class _Pipeline:
    """Raw rows in, in file order; rejections reported and valid rows stored, a batch at
    a time. With workers, the next batches are checked, triaged and prepared in other
    processes while this one counts earlier reports and stores the last, in order."""

    def __init__(
        self,
        *,
        context: RowContext,
        writer: ReportWriter,
        earlier: _EarlierReports,
        settings: Settings,
        result: ImportResult,
        import_id: str,
        workers: int,
        reject: Callable[[Rejection], None],
    ) -> None:
        self.context = context
        self.writer = writer
        self.earlier = earlier
        self.settings = settings
        self.result = result
        self.import_id = import_id
        self.workers = workers
        self.reject = reject
        self.preparer: RowPreparer | None = None
        self.chunk: list[RawRow] = []
        self.pending: deque[Callable[[], list[ReadyRow | Rejection | None]]] = deque()
        self.pool: ProcessPoolExecutor | None = None
        self.batches = 0
        self.written = 0
        self.storing = True
        self.now = stored_time(context.now, sqlite=writer.sqlite)
        # Every row's deadline counts from the same moment: one per level.
        self.ack_due_by_level: dict[str, Any] = {}

    def add(self, raw: RawRow) -> None:
        self.chunk.append(raw)
        if len(self.chunk) >= BATCH_ROWS:
            self._submit()

    def stop(self) -> None:
        """Nothing more is stored (an all-or-nothing file with a rejected row, or a file
        that could not be read to the end); rows are still checked, for the report."""
        self.storing = False

    def finish(self) -> None:
        self._submit()
        while self.pending:
            self._take_oldest()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def _submit(self) -> None:
        if not self.chunk:
            return
        chunk, self.chunk = self.chunk, []
        self.batches += 1
        # Starting workers costs seconds (each imports Vigil): only for large files.
        if self.workers > 1 and self.batches > POOL_AFTER_BATCHES and self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.workers,
                mp_context=get_context("spawn"),
                initializer=start_worker,
                initargs=(self.context,),
            )
        if self.pool is not None:
            future: Future[list[ReadyRow | Rejection | None]] = self.pool.submit(
                prepare_in_worker, to_wire(chunk, bool(self.context.columns)), self.storing
            )
            self.pending.append(future.result)
            while len(self.pending) > self.workers + 1:
                self._take_oldest()
        else:
            if self.preparer is None:
                self.preparer = RowPreparer(self.context)
            done = self.preparer.prepare(chunk, self.storing)
            self.pending.append(lambda: done)
            self._take_oldest()

    def _take_oldest(self) -> None:
        ready: list[tuple[ReadyRow, int]] = []
        for outcome in self.pending.popleft()():
            if isinstance(outcome, Rejection):
                self.reject(outcome)
                continue
            self.result.valid += 1
            if outcome is not None and self.storing:
                ready.append((outcome, self.earlier.count_and_add(outcome.identifiers)))
        if ready and self.storing:
            self._store(ready)

    def _store(self, ready: list[tuple[ReadyRow, int]]) -> None:
        context = self.context
        tables = Tables(context.agency_id, context.user_id, self.import_id, self.now)
        ids = self.writer.reserve(len(ready))
        for report_id, (row, earlier) in zip(ids, ready, strict=True):
            urgency = finish_triage(row.triage, earlier)
            tables.add(
                report_id,
                _receipt_number(),
                row.report,
                urgency,
                (self._ack_due(urgency[1]), row.review_due_at, row.purge_due_at),
                row.mentions,
                row.identifiers,
                row.document,
                context.user_id if row.red else None,
            )
        self.writer.write(tables)
        self.written += len(ready)

    def _ack_due(self, level: str) -> Any:
        if level not in self.ack_due_by_level:
            self.ack_due_by_level[level] = stored_time(
                ack_deadline(self.settings, level, self.context.now), sqlite=self.writer.sqlite
            )
        return self.ack_due_by_level[level]


# --- the service -------------------------------------------------------------------------


def _owner_agency(db: Session, actor: Actor, agency_id: int | None) -> int:
    if actor.is_user:
        _, own_agency_id = actor.member_ids()
        if agency_id is not None and agency_id != own_agency_id:
            raise InvalidInput({"agency": "Reports you import belong to your own agency."})
        return own_agency_id
    if agency_id is None:
        raise InvalidInput({"agency": "Name the agency that will own the imported reports."})
    agency = db.get(Agency, agency_id)
    if agency is None:
        raise InvalidInput({"agency": f"No agency with id {agency_id}."})
    if not agency.active:
        raise InvalidInput({"agency": f"Agency {agency.name} is not active."})
    return agency.id


def import_reports(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    stream: BinaryIO,
    filename: str | None,
    file_format: str = "auto",
    partial: bool = False,
    agency_id: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    workers: int = 0,
    progress: Callable[[int, int], None] | None = None,
    on_rejection: Callable[[Rejection], None] | None = None,
) -> ImportResult:
    """Import a CSV or JSON file of reports in the caller's transaction (see the module
    docstring for the mapping). Returns the validation report; stores nothing unless
    every row is valid, or ``partial``. Audited once, whatever the outcome."""
    policy.authorize(actor, "import", "report")
    if file_format not in FORMATS:
        raise InvalidInput({"format": f"Choose one of {', '.join(FORMATS)}."})
    owner = _owner_agency(db, actor, agency_id)
    now = utcnow()
    source = ImportSource(stream, max_bytes=max_bytes)
    result = ImportResult(
        import_id=uuid.uuid4().hex[:16],
        filename=display_filename(filename),
        file_format=file_format,
        partial=partial,
        agency_id=owner,
    )
    savepoint = db.begin_nested()
    pipeline: _Pipeline | None = None
    try:
        try:
            head = source.peek_head()
            check_content(head)
            if file_format == "auto":
                result.file_format = detect_format(head)
            columns, rows = _read_rows(source, result.file_format)
            earlier = _EarlierReports()
            earlier.load(db, owner)
            writer = make_writer(db)
            context = RowContext(
                file_format=result.file_format,
                columns=columns,
                now=now,
                from_user=actor.is_user,
                user_id=actor.user_id,
                agency_id=owner,
                retention=settings.model_dump(include=set(RETENTION_SETTINGS)),
                sqlite=writer.sqlite,
            )
            pipeline = running = _Pipeline(
                context=context,
                writer=writer,
                earlier=earlier,
                settings=settings,
                result=result,
                import_id=result.import_id,
                workers=workers,
                reject=lambda rejection: _reject(
                    result, rejection, on_rejection, None if partial else running
                ),
            )
            for raw in rows:
                result.rows += 1
                running.add(raw)
                if progress is not None and result.rows % 1000 == 0:
                    progress(source.bytes_read, result.rows)
            if result.rows == 0:
                raise ImportFileError(
                    "The file has a header but no rows."
                    if result.file_format == "csv"
                    else "The file holds no reports."
                )
        except ImportFileError as problem:
            result.fatal = str(problem)
            source.drain()
            if pipeline is not None and not partial:
                pipeline.stop()
        if pipeline is not None:
            # The rows read so far: every rejection reported, the valid ones stored
            # unless nothing may be.
            pipeline.finish()
            if partial or (result.fatal is None and not result.rejected):
                result.imported = pipeline.written
    except StorageRefused as problem:
        # A constraint or the server refused the load (a receipt number collision is
        # one in 2^60 per pair): nothing is kept, and the person is told so.
        log.exception("import %s: the database refused the rows", result.import_id)
        result.fatal = f"The database refused the rows ({problem}); nothing was stored."
        result.imported = 0
    finally:
        if pipeline is not None:
            pipeline.close()
    if progress is not None:
        progress(source.bytes_read, result.rows)
    result.size_bytes = source.bytes_read
    result.sha256 = source.sha256
    if result.imported and (partial or result.complete):
        savepoint.commit()
    else:
        savepoint.rollback()
        result.imported = 0
    audit.record(
        db,
        actor=actor,
        action="report.import",
        object_type="report",
        outcome=result.outcome,
        agency_id=owner,
        details={
            "import_id": result.import_id,
            "file": result.filename,
            "sha256": result.sha256,
            "format": result.file_format,
            "bytes": result.size_bytes,
            "rows": result.rows,
            "imported": result.imported,
            "rejected": result.rejected,
            "partial": partial,
            "stopped_early": result.fatal is not None,
        },
    )
    return result


def _reject(
    result: ImportResult,
    rejection: Rejection,
    on_rejection: Callable[[Rejection], None] | None,
    stopping: _Pipeline | None,
) -> None:
    if stopping is not None:
        stopping.stop()  # all or nothing: nothing more will be stored
    result.rejected += 1
    if len(result.rejections) < KEPT_REJECTIONS:
        result.rejections.append(rejection)
    if on_rejection is not None:
        on_rejection(rejection)
