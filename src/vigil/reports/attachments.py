"""Report attachments: content checks, content-addressed storage, safe names and download headers.

What is accepted is decided by the bytes, never by the file name or the client's
Content-Type: images (JPEG, PNG, GIF, WebP, HEIC), PDF, video (MP4, MOV, WebM)
and plain text. Binary kinds are recognised by their signatures with the
``filetype`` package (pure Python, no libmagic); plain text is checked here:
valid UTF-8 (or UTF-16 with a byte-order mark), no NUL, few control characters.

Choices worth knowing:

* **Archives are refused outright** (ZIP, gzip, 7z, RAR, tar, xz, bzip2, zstd …),
  and so are office documents, which are ZIP (OOXML, OpenDocument) or OLE
  containers. Nothing is ever unpacked, so there is no decompression bomb to
  defuse. Images are not decoded either: only their signature is read, so there
  is no pixel bomb. Whoever adds thumbnails must decode in a separate process
  with a pixel cap (Pillow's ``Image.MAX_IMAGE_PIXELS``).
* **HTML, SVG and XML documents are refused**: a file whose text opens with
  markup that a browser would sniff as a page (WHATWG MIME Sniffing, "rules for
  identifying an unknown MIME type", plus ``<svg`` and any ``<!DOCTYPE``),
  whatever its name. Text that merely *contains* markup further down (a tipster
  pasting a post that quotes ``<script>``) is accepted as plain text: it is
  stored byte for byte and only ever served as a download, as
  ``application/octet-stream`` with ``nosniff`` and a sandboxing CSP, so no
  browser renders it.
* **Files are stored unchanged.** Attachments may be evidence, so metadata
  (EXIF locations included) is kept; the SHA-256 is the file's identity.
* **Signatures, not validity.** A file that starts like a PNG is stored as a
  PNG even if it is broken further on; it is harmless because it is never
  rendered inline.
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from hashlib import sha256 as new_sha256
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import quote

import filetype  # type: ignore[import-untyped]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_FILENAME_CHARS = 200
TEXT_MEDIA_TYPE = "text/plain"

# Media type -> (canonical extension, other extensions a download may keep).
_EXTENSIONS: dict[str, tuple[str, frozenset[str]]] = {
    "image/jpeg": ("jpg", frozenset({"jpg", "jpeg", "jpe", "jfif"})),
    "image/png": ("png", frozenset({"png"})),
    "image/gif": ("gif", frozenset({"gif"})),
    "image/webp": ("webp", frozenset({"webp"})),
    "image/heic": ("heic", frozenset({"heic", "heif"})),
    "application/pdf": ("pdf", frozenset({"pdf"})),
    "video/mp4": ("mp4", frozenset({"mp4", "m4v"})),
    "video/quicktime": ("mov", frozenset({"mov", "qt"})),
    "video/webm": ("webm", frozenset({"webm"})),
    # Not .csv, .md or .html: those open in programs that interpret them.
    TEXT_MEDIA_TYPE: ("txt", frozenset({"txt", "text", "log"})),
}
ACCEPTED_MEDIA_TYPES: frozenset[str] = frozenset(_EXTENSIONS)
_UNKNOWN_EXTENSION = "bin"

# What ``filetype`` reports -> what Vigil records. APNG is a PNG; M4V is Apple's MP4.
_BINARY_KINDS: dict[str, str] = {
    "image/jpeg": "image/jpeg",
    "image/png": "image/png",
    "image/apng": "image/png",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
    "image/heic": "image/heic",
    "application/pdf": "application/pdf",
    "video/mp4": "video/mp4",
    "video/x-m4v": "video/mp4",
    "video/quicktime": "video/quicktime",
    "video/webm": "video/webm",
}


def _application_types(names: str) -> frozenset[str]:
    return frozenset(f"application/{name}" for name in names.split())


# Refused kinds that get a message of their own (as filetype names them).
_ARCHIVE_KINDS = _application_types(
    "zip x-tar x-rar-compressed gzip x-bzip2 x-7z-compressed x-xz zstd x-lzip x-lz4 "
    "x-lzop x-compress x-brotli vnd.ms-cab-compressed x-unix-archive x-deb x-rpm "
    "epub+zip x-google-chrome-extension"
)
_OFFICE_KINDS = _application_types(
    "msword vnd.ms-excel vnd.ms-powerpoint "
    "vnd.openxmlformats-officedocument.wordprocessingml.document "
    "vnd.openxmlformats-officedocument.spreadsheetml.sheet "
    "vnd.openxmlformats-officedocument.presentationml.presentation "
    "vnd.oasis.opendocument.text vnd.oasis.opendocument.spreadsheet "
    "vnd.oasis.opendocument.presentation"
)
_EXECUTABLE_KINDS = _application_types("x-msdownload x-executable wasm x-shockwave-flash")

ACCEPTED_DESCRIPTION = (
    "Accepted files: images (JPEG, PNG, GIF, WebP, HEIC), PDF documents, "
    "videos (MP4, MOV, WebM) and plain text."
)

_SIGNATURE_BYTES = 8192  # as much as filetype's matchers look at
_CHUNK_BYTES = 64 * 1024
_MAX_CONTROL_SHARE = 0.01
_MARKUP_PREFIX_CHARS = 64
# C0 and C1 controls other than tab, line feed, form feed and carriage return.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# WHATWG MIME Sniffing's HTML and XML patterns (after leading whitespace), plus SVG
# and any doctype. Tags need a terminator so that "<b" does not match "<bold claim".
_MARKUP_OPENING = re.compile(
    r"<(?:!doctype|!--|\?xml"
    r"|(?:html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|svg)"
    r"(?=[\s>/]|\Z))",
    re.IGNORECASE,
)

_SHA256 = re.compile(r"[0-9a-f]{64}")
_INCOMING_DIR = ".incoming"
_PARTIAL_SUFFIX = ".part"


class AttachmentRejected(ValueError):
    """An upload Vigil will not store. The message can be shown to the person uploading."""


class EmptyAttachment(AttachmentRejected):
    """The upload had no bytes."""


class AttachmentTooLarge(AttachmentRejected):
    """The upload was over the size limit; reading stopped one byte past it."""


class AttachmentTypeRefused(AttachmentRejected):
    """The upload's content is not one of the accepted kinds."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file in an attachment store, identified by the SHA-256 of its bytes."""

    sha256: str
    size_bytes: int
    media_type: str


@dataclass(frozen=True, slots=True)
class ReceivedAttachment:
    """A stored upload with the name to show and offer for download."""

    sha256: str
    size_bytes: int
    media_type: str
    filename: str


@runtime_checkable
class Readable(Protocol):
    """Anything with ``read(size)`` returning bytes: an open file, an upload's spool."""

    def read(self, size: int = -1, /) -> bytes: ...


UploadSource = Readable | Iterable[bytes]


class AttachmentStore(Protocol):
    """Where attachment bytes live, outside the database, addressed by SHA-256."""

    def save(self, stream: UploadSource) -> StoredFile:
        """Check and store the stream; identical content is stored once.

        Raises ``AttachmentRejected`` (with a message for the uploader) and
        leaves nothing behind when the content is refused or the stream fails.
        """
        ...

    def open(self, sha256: str) -> BinaryIO:
        """Open stored bytes for reading; ``FileNotFoundError`` when absent."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove stored bytes (a purge); absent content is not an error.

        Only the caller knows whether another report still refers to the same
        content, so it must check before calling this.
        """
        ...


# --- content checks ----------------------------------------------------------


def _refusal(detected: str | None) -> AttachmentTypeRefused:
    if detected in _ARCHIVE_KINDS:
        message = (
            "Archives and compressed files (ZIP, gzip, 7z, RAR, tar and similar) are not "
            "accepted. Attach the files themselves."
        )
    elif detected in _OFFICE_KINDS:
        message = (
            "Office documents (Word, Excel, PowerPoint, OpenDocument) are not accepted. "
            "Save the document as PDF and attach that."
        )
    elif detected in _EXECUTABLE_KINDS:
        message = "Programs and other executable files are not accepted."
    else:
        message = "This kind of file is not accepted."
    return AttachmentTypeRefused(f"{message} {ACCEPTED_DESCRIPTION}")


def _markup_refusal() -> AttachmentTypeRefused:
    return AttachmentTypeRefused(
        "Web pages, SVG images and XML files are not accepted because they can carry "
        "scripts. Attach a screenshot or a PDF instead. " + ACCEPTED_DESCRIPTION
    )


def _guess(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return None if kind is None else str(kind.mime)


class ContentInspector:
    """Decides, chunk by chunk, what an upload is; refuses as early as it can.

    Feed every chunk in order, then call ``finish`` for the media type.
    Refusals are raised as ``AttachmentRejected``.
    """

    def __init__(self) -> None:
        self._head = bytearray()
        self._size = 0
        self._media_type: str | None = None
        self._detected: str | None = None
        self._decoder: codecs.IncrementalDecoder | None = None
        self._characters = 0
        self._controls = 0
        self._prefix = ""
        self._markup_checked = False

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._size += len(chunk)
        if self._media_type is not None:
            return
        if self._decoder is not None:
            self._feed_text(self._decoder, chunk)
            return
        self._head += chunk
        if len(self._head) >= _SIGNATURE_BYTES:
            self._decide()

    def finish(self) -> str:
        if self._size == 0:
            raise EmptyAttachment("The file is empty.")
        if self._media_type is None and self._decoder is None:
            self._decide()
        if self._media_type is not None:
            return self._media_type
        if self._decoder is None:  # _decide sets a media type or a decoder
            raise _refusal(self._detected)
        try:
            self._count(self._decoder.decode(b"", final=True))
        except UnicodeDecodeError:
            raise _refusal(self._detected) from None
        self._check_markup(final=True)
        if self._controls > self._characters * _MAX_CONTROL_SHARE:
            raise _refusal(self._detected)
        return TEXT_MEDIA_TYPE

    def _decide(self) -> None:
        head = bytes(self._head)
        self._head = bytearray()
        self._detected = _guess(head)
        if self._detected in _BINARY_KINDS:
            self._media_type = _BINARY_KINDS[self._detected]
            return
        # Anything else may still be plain text: a tip that begins "BMW parked…"
        # matches the BMP signature, "MZ plates…" the DOS one. Real archives and
        # executables fail the text test within their first bytes.
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        encoding = "utf-16" if utf16 else "utf-8"
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._feed_text(self._decoder, head)

    def _feed_text(self, decoder: codecs.IncrementalDecoder, chunk: bytes) -> None:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            raise _refusal(self._detected) from None
        self._count(text)
        self._check_markup(final=False)

    def _count(self, text: str) -> None:
        if "\x00" in text:
            raise _refusal(self._detected)
        self._characters += len(text)
        self._controls += len(_CONTROL_CHARACTERS.findall(text))
        if not self._markup_checked:
            # Whitespace and a byte-order mark before the markup fool no browser.
            rest = text if self._prefix else text.lstrip("\ufeff \t\n\r\f")
            self._prefix += rest[: _MARKUP_PREFIX_CHARS - len(self._prefix)]

    def _check_markup(self, *, final: bool) -> None:
        if self._markup_checked or (len(self._prefix) < _MARKUP_PREFIX_CHARS and not final):
            return
        self._markup_checked = True
        if _MARKUP_OPENING.match(self._prefix):
            raise _markup_refusal()


def inspect_content(data: bytes) -> str:
    """The accepted media type of ``data``, or ``AttachmentRejected`` saying why not."""
    inspector = ContentInspector()
    for start in range(0, len(data), _CHUNK_BYTES):
        inspector.feed(data[start : start + _CHUNK_BYTES])
    return inspector.finish()


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:g} MB" if value >= 1 else f"{size} bytes"


def _limited_chunks(stream: UploadSource, max_bytes: int) -> Iterator[bytes]:
    """The stream's chunks; never asks a readable stream for more than max_bytes + 1."""
    total = 0
    if isinstance(stream, Readable):
        while True:
            chunk = stream.read(min(_CHUNK_BYTES, max_bytes + 1 - total))
            if not chunk:
                return
            total += len(chunk)
            if total > max_bytes:
                raise _too_large(max_bytes)
            yield chunk
    # An iterable decides its own chunk sizes; we stop pulling at the first chunk
    # that crosses the limit.
    for chunk in stream:
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(max_bytes)
        yield chunk


def _too_large(max_bytes: int) -> AttachmentTooLarge:
    return AttachmentTooLarge(f"The file is larger than the {_megabytes(max_bytes)} limit.")


# --- storage -------------------------------------------------------------------


def validate_sha256(sha256: str) -> str:
    """Return the digest if it is 64 lowercase hex digits, else raise ``ValueError``."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError("An attachment digest must be 64 lowercase hexadecimal digits.")
    return sha256


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalAttachmentStore:
    """Attachments on the local file system, at ``<root>/ab/cd/<sha256>``.

    Uploads are written to ``<root>/.incoming`` (same file system, since the
    final name is only known after the last byte), flushed and fsynced, then
    renamed into place with ``os.replace`` and the directory fsynced, so a
    crash never leaves a partial file under a final name. Files are created
    readable by the service's user only.
    """

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1.")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._incoming = self.root / _INCOMING_DIR
        self._incoming.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self._incoming.stat().st_dev != self.root.stat().st_dev:
            raise ValueError(f"{self._incoming} must be on the same file system as {self.root}.")

    def path_for(self, sha256: str) -> Path:
        digest = validate_sha256(sha256)
        return self.root / digest[0:2] / digest[2:4] / digest

    def save(self, stream: UploadSource) -> StoredFile:
        descriptor, temporary_name = tempfile.mkstemp(
            dir=self._incoming, prefix="upload-", suffix=_PARTIAL_SUFFIX
        )
        temporary = Path(temporary_name)
        try:
            digest = new_sha256()
            inspector = ContentInspector()
            size = 0
            with os.fdopen(descriptor, "wb") as out:
                for chunk in _limited_chunks(stream, self.max_bytes):
                    inspector.feed(chunk)
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                media_type = inspector.finish()
                out.flush()
                os.fsync(out.fileno())
            stored = StoredFile(sha256=digest.hexdigest(), size_bytes=size, media_type=media_type)
            final = self.path_for(stored.sha256)
            self._make_parents(final)
            try:
                already_there = final.stat().st_size == size
            except FileNotFoundError:
                already_there = False
            if already_there:
                temporary.unlink()
            else:
                # A file under this name with another size is damaged: the new copy
                # (just hashed) replaces it.
                os.replace(temporary, final)
                _fsync_directory(final.parent)
            return stored
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def delete(self, sha256: str) -> None:
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_directory(path.parent)

    def discard_stale_uploads(self, older_than_seconds: float = 24 * 3600) -> int:
        """Remove temporary files that a crashed upload left behind; returns how many.

        Only files older than ``older_than_seconds`` go, so uploads in progress
        in other processes are untouched.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        for leftover in self._incoming.glob(f"upload-*{_PARTIAL_SUFFIX}"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def _make_parents(self, final: Path) -> None:
        # Each new directory entry must reach the disk too, or the file could
        # vanish with its directory after a crash.
        for directory in (final.parent.parent, final.parent):
            if not directory.is_dir():
                directory.mkdir(mode=0o700, exist_ok=True)
                _fsync_directory(directory.parent)


# --- names and downloads ------------------------------------------------------

_PATH_SEPARATORS = re.compile(r"[/\\]")
_BIDI_AND_INVISIBLE = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\ufeff"
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in (*"0123456789", "¹", "²", "³")}
)
# RFC 5987 attr-char, less the alphanumerics and "-._~" that quote() always keeps.
_ATTR_CHAR_SAFE = "!#$&+^`|"
# Quotes, backslashes, "%" (some browsers decode it), ";" and "," (naive parsers split on them).
_ASCII_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9 !#$&'()+\-.=@\[\]^_`{}~]")


def _extensions(media_type: str) -> tuple[str, frozenset[str]]:
    return _EXTENSIONS.get(media_type, (_UNKNOWN_EXTENSION, frozenset({_UNKNOWN_EXTENSION})))


def _keep(character: str) -> bool:
    if character in _BIDI_AND_INVISIBLE:
        return False
    return unicodedata.category(character) not in ("Cc", "Zl", "Zp")


def safe_filename(name: str | None, media_type: str) -> str:
    """A display and download name for an upload, safe on any system and in any header.

    Keeps only the last path component (either separator), drops control, bidi
    and line-separator characters, Windows-forbidden punctuation and leading
    dots, defuses reserved Windows device names, normalises to NFC and keeps
    at most 200 characters with the extension. The extension always matches
    the detected type: a PNG called ``evil.exe`` becomes ``evil.exe.png``.
    """
    canonical, allowed = _extensions(media_type)
    text = unicodedata.normalize("NFC", name or "")
    text = _PATH_SEPARATORS.split(text)[-1]
    text = "".join(character for character in text if _keep(character))
    text = _WINDOWS_FORBIDDEN.sub("_", text)
    text = text.lstrip(". ").rstrip(". ")
    stem, dot, extension = text.rpartition(".")
    if not (dot and stem and extension.lower() in allowed):
        stem, extension = text, canonical
    stem = stem.rstrip(". ")
    if stem.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        stem = "_" + stem
    stem = stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip(". ") or "attachment"
    return unicodedata.normalize("NFC", f"{stem}.{extension}")


def _ascii_filename(name: str, media_type: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return safe_filename(_ASCII_FALLBACK_UNSAFE.sub("_", without_marks), media_type)


def download_headers(filename: str, media_type: str, size: int) -> dict[str, str]:
    """Response headers that make a browser save an attachment, never render it.

    Content-Disposition is always ``attachment`` with an RFC 6266 ASCII
    ``filename`` and an RFC 5987 ``filename*``. Text (and anything not an
    accepted binary kind) goes out as ``application/octet-stream``; the CSP
    sandbox and ``nosniff`` cover a file opened by a mistaken click anyway.
    """
    if size < 0:
        raise ValueError("size must not be negative.")
    name = safe_filename(filename, media_type)
    served_type = media_type if media_type in _BINARY_KINDS.values() else "application/octet-stream"
    disposition = (
        f'attachment; filename="{_ascii_filename(name, media_type)}"; '
        f"filename*=UTF-8''{quote(name, safe=_ATTR_CHAR_SAFE)}"
    )
    return {
        "Content-Type": served_type,
        "Content-Length": str(size),
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def receive_attachment(
    store: AttachmentStore, stream: UploadSource, filename: str | None
) -> ReceivedAttachment:
    """Store an upload and name it after what its content turned out to be.

    The client's name is display metadata only and its Content-Type is not
    even asked for: the type comes from the bytes.
    """
    stored = store.save(stream)
    return ReceivedAttachment(
        sha256=stored.sha256,
        size_bytes=stored.size_bytes,
        media_type=stored.media_type,
        filename=safe_filename(filename, stored.media_type),
    )
