"""Report attachments: what is accepted, what is refused and why, the size limit,
content-addressed storage that survives failures, safe names and download headers."""

from __future__ import annotations

import base64
import bz2
import gzip
import hashlib
import io
import lzma
import os
import stat
import struct
import tarfile
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi import FastAPI, Response
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from vigil.reports.attachments import (
    ACCEPTED_MEDIA_TYPES,
    AttachmentRejected,
    AttachmentStore,
    AttachmentTooLarge,
    AttachmentTypeRefused,
    EmptyAttachment,
    LocalAttachmentStore,
    download_headers,
    inspect_content,
    receive_attachment,
    safe_filename,
)

MB = 1024 * 1024

# --- real files, made here -----------------------------------------------------


def png_bytes() -> bytes:
    """A 1×1 red PNG with correct CRCs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# A 1×1 grey baseline JPEG and a 1×1 lossless WebP written by Pillow (and decoded
# by it again) when these tests were written; Pillow is not a dependency.
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxO"
    "QERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAB//E"
    "ABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP3//2Q=="
)
WEBP = (
    b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0e\x00\x00\x00/\x00\x00\x00\x00\x07\x10\x11\xfd\x0fDD\xff\x03"
)
# The classic 1×1 transparent GIF89a.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def pdf_bytes() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def iso_media(major: bytes, *compatible: bytes) -> bytes:
    """An ISO base media file: the ftyp box, then an empty media-data box."""
    ftyp = box(b"ftyp", major + struct.pack(">I", 0x200) + b"".join(compatible))
    return ftyp + box(b"free", b"") + box(b"mdat", b"")


def heic_bytes() -> bytes:
    return box(b"ftyp", b"heic" + struct.pack(">I", 0) + b"mif1heic") + box(b"meta", b"\0" * 4)


def ebml(element_id: bytes, data: bytes) -> bytes:
    return element_id + bytes([0x80 | len(data)]) + data


def matroska(doc_type: bytes) -> bytes:
    """An EBML header (version, limits, DocType) followed by an empty Segment."""
    header = (
        ebml(b"\x42\x86", b"\x01")
        + ebml(b"\x42\xf7", b"\x01")
        + ebml(b"\x42\xf2", b"\x04")
        + ebml(b"\x42\xf3", b"\x08")
        + ebml(b"\x42\x82", doc_type)
        + ebml(b"\x42\x87", b"\x04")
        + ebml(b"\x42\x85", b"\x02")
    )
    return ebml(b"\x1a\x45\xdf\xa3", header) + b"\x18\x53\x80\x67\x80"


def zip_bomb() -> bytes:
    """Ten megabytes of zeros squeezed into a few kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (10 * MB))
    return buffer.getvalue()


def zip_with(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            # OpenDocument requires its "mimetype" entry first and uncompressed.
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
    return buffer.getvalue()


def tar_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"I saw him near the school.\n"
        member = tarfile.TarInfo("tip.txt")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def windows_executable() -> bytes:
    """A DOS header pointing at a PE signature and an empty COFF header."""
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    dos[60:64] = struct.pack("<I", 64)
    return bytes(dos) + b"PE\0\0" + struct.pack("<HH", 0x8664, 0) + b"\0" * 16


def elf_executable() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\0" * 8 + struct.pack("<HHI", 2, 0x3E, 1) + b"\0" * 40


ACCEPTED: dict[str, tuple[Callable[[], bytes], str]] = {
    "jpeg": (lambda: JPEG, "image/jpeg"),
    "png": (png_bytes, "image/png"),
    "gif": (lambda: GIF, "image/gif"),
    "webp": (lambda: WEBP, "image/webp"),
    "heic": (heic_bytes, "image/heic"),
    "pdf": (pdf_bytes, "application/pdf"),
    "mp4": (lambda: iso_media(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
    "mov": (lambda: iso_media(b"qt  ", b"qt  "), "video/quicktime"),
    "webm": (lambda: matroska(b"webm"), "video/webm"),
    "utf-8 text": (lambda: "Saw him at the gate. Größe ~1,80 m.\n".encode(), "text/plain"),
    "utf-8 text with BOM": (lambda: "\ufeffNotes from the call\r\n".encode(), "text/plain"),
    "utf-16 text with BOM": (lambda: "Tip about a threat\n".encode("utf-16"), "text/plain"),
    "utf-16 big-endian": (lambda: "\ufeffTip".encode("utf-16-be"), "text/plain"),
}

ARCHIVES: dict[str, Callable[[], bytes]] = {
    "zip bomb": zip_bomb,
    "gzip bomb": lambda: gzip.compress(b"\0" * (10 * MB)),
    "bzip2": lambda: bz2.compress(b"\0" * MB),
    "xz": lambda: lzma.compress(b"\0" * MB),
    "tar": tar_bytes,
    "7z": lambda: b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\0" * 24,
    "rar": lambda: b"Rar!\x1a\x07\x01\x00" + b"\x33\x92\xb5\xe5\x0a\x01\x05\x06\x00\x05\x01\x01",
    "zip holding a text file": lambda: zip_with({"tip.txt": b"hello"}),
}
OFFICE: dict[str, Callable[[], bytes]] = {
    "docx": lambda: zip_with(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    ),
    "xlsx": lambda: zip_with(
        {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    ),
    "odt": lambda: zip_with(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}
    ),
}
MARKUP: dict[str, bytes] = {
    "html page": b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
    "html fragment": b"<script>fetch('/api/reports')</script>",
    "html after whitespace": b"\r\n\t   <HTML><body onload=alert(1)>",
    "html after a BOM": "\ufeff<iframe src=//evil>".encode(),
    "html in UTF-16": "<html><script>alert(1)</script></html>".encode("utf-16"),
    "html comment": b"<!-- saved from url --><p>hi</p>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
    "svg doctype": b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x"><svg/>',
}


@pytest.fixture
def store(tmp_path: Path) -> LocalAttachmentStore:
    return LocalAttachmentStore(tmp_path / "attachments")


def stored_files(store: LocalAttachmentStore) -> list[Path]:
    """Every file under the store's root, temporary ones included."""
    return sorted(path for path in store.root.rglob("*") if path.is_file())


# --- accepted by content ---------------------------------------------------------


@pytest.mark.parametrize("kind", ACCEPTED)
def test_accepted_kinds_are_stored_under_their_digest(
    store: LocalAttachmentStore, kind: str
) -> None:
    make, media_type = ACCEPTED[kind]
    data = make()

    stored = store.save(io.BytesIO(data))

    digest = hashlib.sha256(data).hexdigest()
    assert (stored.sha256, stored.size_bytes, stored.media_type) == (digest, len(data), media_type)
    assert stored_files(store) == [store.root / digest[:2] / digest[2:4] / digest]
    with store.open(digest) as stored_bytes:
        assert stored_bytes.read() == data
    assert media_type in ACCEPTED_MEDIA_TYPES


def test_the_store_satisfies_the_protocol(store: LocalAttachmentStore) -> None:
    as_protocol: AttachmentStore = store
    assert as_protocol.save(iter([png_bytes()])).media_type == "image/png"


def test_stored_files_are_readable_by_the_service_user_only(store: LocalAttachmentStore) -> None:
    stored = store.save(io.BytesIO(png_bytes()))

    mode = stat.S_IMODE(store.path_for(stored.sha256).stat().st_mode)
    assert mode & 0o077 == 0


def test_a_png_named_evil_exe_is_a_png_with_a_harmless_name(store: LocalAttachmentStore) -> None:
    received = receive_attachment(store, io.BytesIO(png_bytes()), "evil.exe")

    assert received.media_type == "image/png"
    assert received.filename == "evil.exe.png"


def test_html_named_photo_jpg_is_refused(store: LocalAttachmentStore) -> None:
    page = b"<html><body><img src=x onerror=alert(document.cookie)></body></html>"

    with pytest.raises(AttachmentTypeRefused, match="can carry scripts"):
        receive_attachment(store, io.BytesIO(page), "photo.jpg")
    assert stored_files(store) == []


# --- refused ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ARCHIVES)
def test_archives_are_refused_without_being_opened(store: LocalAttachmentStore, kind: str) -> None:
    with pytest.raises(AttachmentTypeRefused, match="Archives and compressed files"):
        store.save(io.BytesIO(ARCHIVES[kind]()))
    assert stored_files(store) == []


def test_a_zip_bomb_is_refused_after_its_first_bytes(store: LocalAttachmentStore) -> None:
    bomb = zip_bomb()
    assert len(bomb) < 100_000  # it really is a bomb: 10 MB inside
    source = io.BytesIO(bomb)

    with pytest.raises(AttachmentTypeRefused):
        store.save(source)
    assert source.tell() <= 64 * 1024


@pytest.mark.parametrize("kind", OFFICE)
def test_office_documents_are_refused(store: LocalAttachmentStore, kind: str) -> None:
    with pytest.raises(AttachmentTypeRefused, match="Save the document as PDF"):
        store.save(io.BytesIO(OFFICE[kind]()))
    assert stored_files(store) == []


@pytest.mark.parametrize("make", [windows_executable, elf_executable], ids=["exe", "elf"])
def test_executables_are_refused(store: LocalAttachmentStore, make: Callable[[], bytes]) -> None:
    with pytest.raises(AttachmentTypeRefused, match="executable"):
        store.save(io.BytesIO(make()))
    assert stored_files(store) == []


@pytest.mark.parametrize("kind", MARKUP)
def test_html_svg_and_xml_are_refused(kind: str) -> None:
    with pytest.raises(AttachmentTypeRefused, match="Web pages, SVG images and XML"):
        inspect_content(MARKUP[kind])


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("matroska (not webm)", matroska(b"matroska")),
        ("bmp", b"BM" + struct.pack("<IHHI", 58, 0, 0, 54) + b"\0" * 50),
        ("avif", box(b"ftyp", b"avif\0\0\0\0mif1avif") + box(b"meta", b"\0" * 4)),
        ("m4a audio", iso_media(b"M4A ", b"M4A ", b"mp42", b"isom")),
        ("sqlite", b"SQLite format 3\x00" + b"\0" * 84),
        ("random bytes", bytes(range(256)) * 4),
        ("nul in text", b"harmless text\x00with a NUL"),
        ("invalid utf-8", b"caf\xe9 in Latin-1"),
        ("utf-8 cut mid-character", "Grüße".encode()[:-4]),
        ("mostly control characters", b"\x1b[31m\x07\x08" * 10 + b"text"),
    ],
)
def test_other_content_is_refused_with_the_accepted_list(kind: str, data: bytes) -> None:
    with pytest.raises(AttachmentTypeRefused) as refused:
        inspect_content(data)
    assert "Accepted files: images (JPEG, PNG, GIF, WebP, HEIC)" in str(refused.value)


def test_empty_files_are_refused(store: LocalAttachmentStore) -> None:
    with pytest.raises(EmptyAttachment, match="empty"):
        store.save(io.BytesIO(b""))
    with pytest.raises(EmptyAttachment):
        store.save(iter([b"", b""]))
    assert stored_files(store) == []


@pytest.mark.parametrize(
    "text",
    [
        "BMW parked outside the school every morning.",  # starts like a BMP
        "MZ plates on the van, not local.",  # starts like a DOS executable
        "ID3 tags were stripped from the recording.",  # starts like an MP3
        "βράδυ της Παρασκευής, έξω από το γήπεδο.",  # starts like a brotli frame to filetype
    ],
)
def test_text_that_happens_to_start_like_a_binary_signature_is_text(text: str) -> None:
    assert inspect_content(text.encode()) == "text/plain"


def test_text_quoting_markup_is_accepted_as_text_and_only_served_as_a_download() -> None:
    tip = b"He posted this on the forum: <script>alert('you are next')</script>\n"

    assert inspect_content(tip) == "text/plain"
    headers = download_headers("post.html", "text/plain", len(tip))
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert 'filename="post.html.txt"' in headers["Content-Disposition"]


def test_markup_is_found_past_a_long_run_of_leading_whitespace() -> None:
    with pytest.raises(AttachmentTypeRefused):
        inspect_content(b" " * 100_000 + b"<svg onload=alert(1)>")


def test_a_few_control_characters_in_a_long_text_are_fine() -> None:
    log = b"\x1b[1mALERT\x1b[0m " + b"line of a chat export\n" * 100
    assert inspect_content(log) == "text/plain"


@given(st.binary(max_size=2048))
def test_any_bytes_are_either_accepted_or_refused_with_a_message(data: bytes) -> None:
    try:
        media_type = inspect_content(data)
    except AttachmentRejected as refusal:
        assert str(refusal)
    else:
        assert media_type in ACCEPTED_MEDIA_TYPES


# --- size ------------------------------------------------------------------------


def test_an_oversize_generator_is_not_drained(store: LocalAttachmentStore) -> None:
    pulled = 0

    def twenty_five_megabytes() -> Iterator[bytes]:
        nonlocal pulled
        yield png_bytes()
        for _ in range(25):
            pulled += 1
            yield b"\0" * MB

    with pytest.raises(AttachmentTooLarge, match="larger than the 20 MB limit"):
        store.save(twenty_five_megabytes())

    assert pulled == 20  # the twentieth megabyte crosses the limit; nothing more is asked for
    assert stored_files(store) == []


class EndlessStream:
    """A readable stream that never ends and remembers how much it handed out."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.handed_out = 0

    def read(self, size: int = -1, /) -> bytes:
        assert size > 0, "an unbounded read would load everything into memory"
        chunk = (self.head[self.handed_out :] + b"\0" * size)[:size]
        self.handed_out += len(chunk)
        return chunk


def test_a_readable_stream_is_never_read_past_the_limit_plus_one(tmp_path: Path) -> None:
    store = LocalAttachmentStore(tmp_path, max_bytes=300_000)
    stream = EndlessStream(png_bytes())

    with pytest.raises(AttachmentTooLarge):
        store.save(stream)

    assert stream.handed_out == 300_001
    assert stored_files(store) == []


def test_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    store = LocalAttachmentStore(tmp_path, max_bytes=1000)

    assert store.save(io.BytesIO(b"a" * 1000)).size_bytes == 1000
    with pytest.raises(AttachmentTooLarge, match="1000 bytes"):
        store.save(io.BytesIO(b"a" * 1001))


def test_the_default_limit_is_twenty_megabytes(tmp_path: Path) -> None:
    assert LocalAttachmentStore(tmp_path).max_bytes == 20 * MB


# --- storage ---------------------------------------------------------------------


def test_identical_content_is_stored_once(store: LocalAttachmentStore) -> None:
    first = receive_attachment(store, io.BytesIO(pdf_bytes()), "statement.pdf")
    second = receive_attachment(store, iter([pdf_bytes()]), "copy of statement.pdf")

    assert first.sha256 == second.sha256
    assert (first.filename, second.filename) == ("statement.pdf", "copy of statement.pdf")
    assert len(stored_files(store)) == 1


def test_a_damaged_copy_is_replaced_by_a_fresh_save(store: LocalAttachmentStore) -> None:
    stored = store.save(io.BytesIO(png_bytes()))
    store.path_for(stored.sha256).write_bytes(b"trunc")

    store.save(io.BytesIO(png_bytes()))

    with store.open(stored.sha256) as reread:
        assert reread.read() == png_bytes()


class FailingStream:
    """Hands out good bytes, then fails like a dropped connection."""

    def __init__(self, good: bytes) -> None:
        self.good = io.BytesIO(good)

    def read(self, size: int = -1, /) -> bytes:
        chunk = self.good.read(size)
        if not chunk:
            raise ConnectionResetError("client went away")
        return chunk


def test_a_stream_failing_midway_leaves_nothing_behind(store: LocalAttachmentStore) -> None:
    data = png_bytes() + b"\0" * 200_000

    with pytest.raises(ConnectionResetError):
        store.save(FailingStream(data))

    assert stored_files(store) == []
    assert not store.path_for(hashlib.sha256(data).hexdigest()).exists()


def test_a_failure_at_the_rename_leaves_nothing_behind(
    store: LocalAttachmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)

    with pytest.raises(OSError, match="No space left"):
        store.save(io.BytesIO(png_bytes()))
    assert stored_files(store) == []


def test_bytes_reach_the_disk_before_they_get_their_final_name(
    store: LocalAttachmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        is_directory = stat.S_ISDIR(os.fstat(descriptor).st_mode)
        events.append("fsync directory" if is_directory else "fsync file")
        real_fsync(descriptor)

    def replace(source: str | Path, target: str | Path) -> None:
        # At this moment the final name must not exist yet and the data must be complete.
        assert not Path(target).exists()
        assert Path(source).read_bytes() == png_bytes()
        events.append("rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)

    store.save(io.BytesIO(png_bytes()))

    rename = events.index("rename")
    assert "fsync file" in events[:rename]
    assert events[rename + 1 :] == ["fsync directory"]


def test_a_crash_leftover_is_never_a_stored_file_and_is_swept_later(
    store: LocalAttachmentStore,
) -> None:
    leftover = store.root / ".incoming" / "upload-crashed.part"
    leftover.write_bytes(png_bytes()[:20])
    fresh = store.root / ".incoming" / "upload-in-progress.part"
    fresh.write_bytes(b"\x89PNG")
    day_old = time.time() - 25 * 3600
    os.utime(leftover, (day_old, day_old))

    with pytest.raises(FileNotFoundError):
        store.open(hashlib.sha256(png_bytes()[:20]).hexdigest())
    assert store.discard_stale_uploads() == 1
    assert stored_files(store) == [fresh]


def test_delete_removes_content_and_is_idempotent(store: LocalAttachmentStore) -> None:
    stored = store.save(io.BytesIO(GIF))

    store.delete(stored.sha256)
    store.delete(stored.sha256)

    with pytest.raises(FileNotFoundError):
        store.open(stored.sha256)
    assert stored_files(store) == []


@pytest.mark.parametrize(
    "digest",
    [
        "../../etc/passwd",
        "",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "a" * 64 + "\n",
        "g" * 64,
        "../" + "a" * 61,
        "/" + "a" * 63,
        "aa/bb/" + "a" * 58,
        "\u0661" * 64,  # Arabic-Indic digit one: a digit to str.isdigit, not to us
    ],
)
def test_open_and_delete_refuse_anything_but_a_sha256(
    store: LocalAttachmentStore, digest: str
) -> None:
    with pytest.raises(ValueError, match="64 lowercase hexadecimal"):
        store.open(digest)
    with pytest.raises(ValueError, match="64 lowercase hexadecimal"):
        store.delete(digest)


def test_open_of_unknown_content_is_not_found(store: LocalAttachmentStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64)


# --- names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "media_type", "expected"),
    [
        ("../../etc/passwd", "text/plain", "passwd.txt"),
        ("..\\..\\boot.ini", "text/plain", "boot.ini.txt"),
        ("C:\\Users\\tipster\\Desktop\\IMG_0042.JPG", "image/jpeg", "IMG_0042.JPG"),
        ("CON.txt", "text/plain", "_CON.txt"),
        ("con", "image/png", "_con.png"),
        ("lpt1.report.pdf", "application/pdf", "_lpt1.report.pdf"),
        ("COM¹.txt", "text/plain", "_COM¹.txt"),
        ("console.txt", "text/plain", "console.txt"),
        ("\u202egnp.exe", "image/png", "gnp.exe.png"),
        ("invoice\u202efdp.exe", "application/pdf", "invoicefdp.exe.pdf"),
        ("\u2066photo\u2069.jpg", "image/jpeg", "photo.jpg"),
        ("photo\x00.exe.jpg", "image/jpeg", "photo.exe.jpg"),
        ("bad\x00name.png", "image/png", "badname.png"),
        ("line\r\nbreak.pdf", "application/pdf", "linebreak.pdf"),
        (".htaccess", "text/plain", "htaccess.txt"),
        ("...", "image/gif", "attachment.gif"),
        ("", "video/mp4", "attachment.mp4"),
        (None, "video/webm", "attachment.webm"),
        ("/", "image/heic", "attachment.heic"),
        ("evil.exe", "image/png", "evil.exe.png"),
        ("notes.csv", "text/plain", "notes.csv.txt"),
        ("page.html", "text/plain", "page.html.txt"),
        ('what?<is>|this*"', "text/plain", "what__is__this__.txt"),
        ("trailing dots. . .", "application/pdf", "trailing dots.pdf"),
        ("clip.MOV", "video/quicktime", "clip.MOV"),
        ("unknown kind.exe", "application/x-msdownload", "unknown kind.exe.bin"),
        ("Cafe\u0301.pdf", "application/pdf", "Café.pdf"),
    ],
)
def test_safe_filename(name: str | None, media_type: str, expected: str) -> None:
    assert safe_filename(name, media_type) == expected


def test_long_names_are_cut_to_200_characters_keeping_the_extension() -> None:
    name = safe_filename("surveillance-" + "x" * 500 + ".jpeg", "image/jpeg")

    assert len(name) == 200
    assert name.startswith("surveillance-xxx")
    assert name.endswith("x.jpeg")


BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{n}" for n in range(10)}


@given(
    name=st.one_of(
        st.none(),
        st.text(max_size=400),
        st.text(alphabet="./\\ \x00\u202e\u2066CONPRNAUXLPT1tx", max_size=30),
    ),
    media_type=st.sampled_from(sorted(ACCEPTED_MEDIA_TYPES)),
)
def test_safe_filename_properties(name: str | None, media_type: str) -> None:
    safe = safe_filename(name, media_type)

    assert 0 < len(safe) <= 200
    assert safe == unicodedata.normalize("NFC", safe)
    assert not set(safe) & (BIDI_CONTROLS | set('/\\<>:"|?*'))
    assert not any(unicodedata.category(character) == "Cc" for character in safe)
    assert not safe.startswith((".", " "))
    assert safe.split(".", 1)[0].rstrip(" ").upper() not in WINDOWS_RESERVED
    assert safe.rsplit(".", 1)[1].lower() in {
        "jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "heic", "heif",
        "pdf", "mp4", "m4v", "mov", "qt", "webm", "txt", "text", "log",
    }  # fmt: skip
    assert safe_filename(safe, media_type) == safe


# --- downloads -------------------------------------------------------------------


def disposition_names(disposition: str) -> tuple[str, str]:
    """The ASCII filename and the decoded filename* of a Content-Disposition."""
    kind, plain, extended = (part.strip() for part in disposition.split(";"))
    assert kind == "attachment"
    assert plain.startswith('filename="') and plain.endswith('"')
    assert extended.startswith("filename*=UTF-8''")
    return plain[len('filename="') : -1], unquote(extended[len("filename*=UTF-8''") :])


def test_download_headers_for_an_image() -> None:
    headers = download_headers("Überwachung 1.jpg", "image/jpeg", 1234)

    assert headers["Content-Type"] == "image/jpeg"
    assert headers["Content-Length"] == "1234"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert disposition_names(headers["Content-Disposition"]) == (
        "Uberwachung 1.jpg",
        "Überwachung 1.jpg",
    )


@pytest.mark.parametrize(
    "name",
    [
        '报告 "final".pdf',
        "a\\b;c=d%41.pdf",
        "new\r\nSet-Cookie: x=1.pdf",
        "\u202eevil.pdf",
        "🙂 \u00a0 nbsp.pdf",
        "x" * 300 + ".pdf",
    ],
)
def test_download_names_cannot_break_the_header(name: str) -> None:
    headers = download_headers(name, "application/pdf", 10)

    for value in headers.values():
        value.encode("ascii")
        assert "\r" not in value and "\n" not in value
    plain, extended = disposition_names(headers["Content-Disposition"])
    assert extended == safe_filename(name, "application/pdf")
    assert not set(plain) & set('"\\%;,')
    assert plain.endswith(".pdf")


@pytest.mark.parametrize("media_type", ["text/plain", "text/html", "image/svg+xml", "x/unknown"])
def test_text_and_unknown_kinds_are_served_as_opaque_bytes(media_type: str) -> None:
    headers = download_headers("file", media_type, 3)

    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment;")


def test_download_headers_survive_a_real_http_response(store: LocalAttachmentStore) -> None:
    received = receive_attachment(store, io.BytesIO(png_bytes()), "../Tatort Straße.png")
    app = FastAPI()

    @app.get("/download")
    def download() -> Response:
        with store.open(received.sha256) as stored:
            body = stored.read()
        headers = download_headers(received.filename, received.media_type, received.size_bytes)
        return Response(body, headers=headers)

    response = TestClient(app).get("/download")

    assert response.status_code == 200
    assert response.content == png_bytes()
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert disposition_names(response.headers["content-disposition"]) == (
        "Tatort Stra_e.png",
        "Tatort Straße.png",
    )
