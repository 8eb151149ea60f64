"""Reading bulk-import files into numbered raw rows: the byte checks (size, archives,
encoding) and streaming CSV and JSON readers. What the rows mean is `importer`'s job.

Nothing here holds more than one row (and one 1 MiB read buffer) at a time, and
nothing is ever unpacked: compressed files and archives are refused by their first
bytes, whatever their name, so there is no decompression bomb to defuse.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

READ_BYTES = 1024 * 1024
HEAD_BYTES = 64 * 1024
# No row of a valid file comes near these; they bound what one row can cost.
MAX_LINE_BYTES = 4 * 1024 * 1024
MAX_JSON_ITEM_CHARS = 4 * 1024 * 1024
# The csv module's own limit on one field (131,072 characters); a narrative may have
# at most 50,000, so a longer field is always an error (usually an unclosed quote).
CSV_FIELD_LIMIT = csv.field_size_limit()

# First bytes of compressed files, archives and binary documents -> what to call them.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel, Word or OpenDocument file)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"PK\x07\x08", "a ZIP archive"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ\x00", "an xz-compressed file"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x04\x22\x4d\x18", "an LZ4-compressed file"),
    (b"\x1f\x9d", "a compress (.Z) file"),
    (b"LZIP", "an lzip-compressed file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel or Word document"),
    (b"%PDF-", "a PDF document"),
)
_BYTE_ORDER_MARKS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
SAVE_AS = "Save or export it as UTF-8 CSV or JSON and import that."


class ImportFileError(Exception):
    """The file cannot be read (any further). The message is for the person importing."""


@dataclass(frozen=True, slots=True)
class RawRow:
    """One row as read: its number (a spreadsheet's row number for CSV, header = 1;
    the item number for JSON), the line it starts on, and either its values or the
    reason it could not be read as a row."""

    number: int
    line: int
    values: dict[str, Any] | None
    problem: str | None = None


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.0f} MB" if size >= 1_000_000 else f"{size:,} bytes"


class ImportSource:
    """A binary stream read once: counted against a size cap and hashed as it goes."""

    def __init__(self, stream: BinaryIO, *, max_bytes: int) -> None:
        self._stream = stream
        self.max_bytes = max_bytes
        self.bytes_read = 0
        self._hash = hashlib.sha256()
        self._head = b""
        self._head_taken = False
        self.over_limit = False

    def read(self, size: int = READ_BYTES) -> bytes:
        if not self._head_taken:
            self._head_taken = True
            if self._head:
                return self._head
        # One byte past the cap is enough to know the file is too large.
        wanted = min(size, self.max_bytes + 1 - self.bytes_read)
        data = self._stream.read(wanted) if wanted > 0 else b""
        self.bytes_read += len(data)
        if self.bytes_read > self.max_bytes:
            self.over_limit = True
            raise ImportFileError(
                f"The file is larger than the {_megabytes(self.max_bytes)} an import may "
                "be. Split it into smaller files."
            )
        self._hash.update(data)
        return data

    def peek_head(self) -> bytes:
        """The first bytes, for the content checks; `read` returns them again."""
        if not self._head and not self._head_taken:
            self._head = self.read(HEAD_BYTES)
            self._head_taken = False
        return self._head

    def drain(self) -> None:
        """Read the rest (for the file's hash) after reading stopped early."""
        self._head_taken = True
        try:
            while self.read(READ_BYTES):
                pass
        except ImportFileError:
            pass

    @property
    def sha256(self) -> str | None:
        """The file's SHA-256, once read to the end (None if it was over the cap)."""
        return None if self.over_limit else self._hash.hexdigest()


def check_content(head: bytes) -> None:
    """Refuse empty, compressed, archived, binary and non-UTF-8-encoded files by content."""
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            raise ImportFileError(
                f"The file is {name}. Compressed files and archives are never unpacked: "
                f"import the CSV or JSON file itself. {SAVE_AS}"
            )
    if head[257:262] == b"ustar":
        raise ImportFileError(f"The file is a tar archive. {SAVE_AS}")
    for mark, encoding in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            raise ImportFileError(
                f"The file is {encoding} text (it starts with a {encoding} "
                f"byte-order mark); imports must be UTF-8. {SAVE_AS}"
            )
    sample = head[:4096]
    if sample.count(0) * 8 > len(sample):
        raise ImportFileError(
            "The file is full of NUL bytes: it looks like UTF-16 text without a byte-order "
            f"mark, or a binary file. Imports must be UTF-8. {SAVE_AS}"
        )
    if len(head) < HEAD_BYTES and not head.removeprefix(codecs.BOM_UTF8).strip():
        raise ImportFileError("The file is empty.")


def detect_format(head: bytes) -> str:
    """'json' when the first character is '[' or '{', else 'csv'."""
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return "json" if text[:1] in (b"[", b"{") else "csv"


def _encoding_problem(error: UnicodeDecodeError) -> str:
    data = bytes(error.object)
    if error.start >= len(data) or error.reason == "unexpected end of data":
        return f"the file is not UTF-8: it ends in the middle of a character. {SAVE_AS}"
    byte = data[error.start]
    guess = " (it may be Latin-1 or Windows-1252)" if byte >= 0x80 else ""
    return f"the file is not UTF-8: byte 0x{byte:02X} cannot be decoded{guess}. {SAVE_AS}"


# --- CSV ------------------------------------------------------------------------------


class _Lines:
    """Decoded lines of the file, each with its newline, counted."""

    def __init__(self, source: ImportSource, on_error: Callable[[int], str]) -> None:
        self.source = source
        self.count = 0
        self._on_error = on_error

    def __iter__(self) -> Iterator[str]:
        pending = b""
        first = True
        while chunk := self.source.read(READ_BYTES):
            parts = (pending + chunk).split(b"\n")
            pending = parts.pop()
            if len(pending) > MAX_LINE_BYTES:
                raise ImportFileError(
                    f"{self._on_error(self.count + len(parts) + 1)}: a line is longer than "
                    f"{_megabytes(MAX_LINE_BYTES)}; no row of a valid file is."
                )
            for part in parts:
                yield self._decode(part + b"\n", first)
                first = False
        if pending:
            yield self._decode(pending, first)

    def _decode(self, data: bytes, first: bool) -> str:
        self.count += 1
        if first:
            data = data.removeprefix(codecs.BOM_UTF8)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            where = self._on_error(self.count)
            raise ImportFileError(
                f"{where}, column {error.start + 1}: {_encoding_problem(error)}"
            ) from None


def normalise_name(name: str) -> str:
    return " ".join(name.split()).lower()


def _shown(name: str) -> str:
    """A column name as the validation report shows it: short, printable."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in name)
    return repr(cleaned[:40] + ("…" if len(cleaned) > 40 else ""))


def read_csv(source: ImportSource) -> tuple[list[str], Iterator[RawRow]]:
    """The normalised header and an iterator of rows (header = row 1)."""
    state = {"row": 1}

    def where(line: int) -> str:
        return f"row {state['row']} (line {line})"

    lines = _Lines(source, where)
    reader = csv.reader(iter(lines), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    except csv.Error as problem:
        raise ImportFileError(_csv_problem(1, 1, str(problem))) from None
    names = [normalise_name(name) for name in header]
    if not any(names):
        raise ImportFileError("row 1 (the header) is empty: the first row must name the columns.")
    seen: set[str] = set()
    for name in names:
        if not name:
            raise ImportFileError("row 1 (the header) has a column without a name.")
        if name in seen:
            raise ImportFileError(f"row 1 (the header) names the column {_shown(name)} twice.")
        seen.add(name)

    def rows() -> Iterator[RawRow]:
        width = len(names)
        while True:
            state["row"] += 1
            start = lines.count + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as problem:
                raise ImportFileError(_csv_problem(state["row"], start, str(problem))) from None
            if not record:
                continue  # a blank line: a row with nothing in it
            number = state["row"]
            if len(record) != width:
                yield RawRow(
                    number,
                    start,
                    None,
                    f"has {len(record)} values but the header names {width} columns",
                )
                continue
            yield RawRow(number, start, dict(zip(names, record, strict=True)))

    return names, rows()


def _csv_problem(row: int, line: int, message: str) -> str:
    if "new-line character seen" in message:
        return (
            f"row {row} (line {line}): lines end with a lone carriage return (old Mac "
            "line endings). Save the file with Windows or Unix line endings."
        )
    if "field larger than field limit" in message or "unexpected end of data" in message:
        return (
            f"row {row} (line {line}): a quoted value never ends (an unbalanced "
            f'quote "), or a value is longer than {CSV_FIELD_LIMIT:,} characters. Nothing '
            "after this point could be read."
        )
    return (
        f"row {row} (line {line}): malformed CSV ({message}). Nothing after this point "
        "could be read."
    )


# --- JSON -----------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _JsonText:
    """The file as decoded text, a buffer at a time, with line counting."""

    def __init__(self, source: ImportSource) -> None:
        self.source = source
        self.buffer = ""
        self.position = 0
        self.line = 1  # the line of `position`
        self.eof = False
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._first = True
        self._raw_newlines = 0
        self.items = 0

    def more(self) -> bool:
        """Append the next piece of the file; False at its end."""
        if self.eof:
            return False
        data = self.source.read(READ_BYTES)
        if self._first:
            data = data.removeprefix(codecs.BOM_UTF8)
            self._first = False
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            line = self._raw_newlines + data[: max(0, error.start)].count(b"\n") + 1
            raise ImportFileError(
                f"item {self.items + 1} (line {line}): {_encoding_problem(error)}"
            ) from None
        self._raw_newlines += data.count(b"\n")
        if not data:
            self.eof = True
        if self.position > READ_BYTES:
            self.buffer = self.buffer[self.position :]
            self.position = 0
        self.buffer += text
        return True

    def advance(self, end: int) -> None:
        self.line += self.buffer.count("\n", self.position, end)
        self.position = end

    def skip_space(self) -> str:
        """The next non-blank character ('' at the end of the file), not consumed."""
        while True:
            found = _WHITESPACE.match(self.buffer, self.position)
            self.advance(found.end() if found else self.position)
            if self.position < len(self.buffer):
                return self.buffer[self.position]
            if not self.more():
                return ""


def read_json(source: ImportSource) -> Iterator[RawRow]:
    """Rows of a JSON array of objects, or of objects one after another (JSON lines)."""
    text = _JsonText(source)
    decoder = json.JSONDecoder()
    opening = text.skip_space()
    in_array = opening == "["
    if in_array:
        text.advance(text.position + 1)
    elif opening != "{":
        raise ImportFileError(
            "A JSON import is an array of objects ([{...}, {...}]) or one object per line."
        )
    while True:
        following = text.skip_space()
        if in_array and following == "]":
            text.advance(text.position + 1)
            if text.skip_space():
                raise ImportFileError(f"line {text.line}: there is more after the closing ].")
            return
        if not following:
            if in_array:
                raise ImportFileError(
                    f"line {text.line}: the file ends before the array's closing ]."
                )
            return
        number, line = text.items + 1, text.line
        value, end = _decode_item(text, decoder, number, line)
        text.items = number
        text.advance(end)
        if isinstance(value, dict):
            yield RawRow(number, line, value)
        else:
            yield RawRow(number, line, None, "is not a JSON object {...}")
        if in_array:
            separator = text.skip_space()
            if separator == ",":
                text.advance(text.position + 1)
            elif not separator:
                raise ImportFileError(
                    f"line {text.line}: the file ends before the array's closing ]."
                )
            elif separator != "]":
                raise ImportFileError(
                    f"item {number} (line {text.line}): expected , or ] after the item."
                )


def _decode_item(
    text: _JsonText, decoder: json.JSONDecoder, number: int, line: int
) -> tuple[Any, int]:
    while True:
        try:
            return decoder.raw_decode(text.buffer, text.position)
        except RecursionError:
            raise ImportFileError(
                f"item {number} (line {line}): arrays or objects are nested too deeply."
            ) from None
        except json.JSONDecodeError as problem:
            # Incomplete only because the buffer ends: read on, up to the item limit.
            if len(text.buffer) - text.position > MAX_JSON_ITEM_CHARS:
                raise ImportFileError(
                    f"item {number} (line {line}): malformed JSON, or an item longer than "
                    f"{MAX_JSON_ITEM_CHARS:,} characters ({problem.msg})."
                ) from None
            if not text.more():
                item_line = line + problem.lineno - text.buffer.count("\n", 0, text.position) - 1
                raise ImportFileError(
                    f"item {number} (line {line}): malformed JSON: {problem.msg} (on line "
                    f"{max(line, item_line)}). Nothing after this point could be read."
                ) from None
