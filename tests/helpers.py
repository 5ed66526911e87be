"""Small builders for test files: canonical CSV, workbooks, a zip bomb."""

from __future__ import annotations

import csv
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

CONTACT_HEADERS = [
    "contact_id",
    "channel",
    "direction",
    "queue",
    "agent_id",
    "customer_key",
    "arrived_at",
    "answered_at",
    "ended_at",
    "wait_seconds",
    "talk_seconds",
    "outcome",
    "updated_at",
]


def contact(contact_id: str, **values: object) -> dict[str, object]:
    """A valid handled voice contact, with any field overridden."""
    row: dict[str, object] = {
        "contact_id": contact_id,
        "channel": "voice",
        "direction": "inbound",
        "queue": "Refills",
        "agent_id": "a1",
        "customer_key": "+1 (555) 010-0199",
        "arrived_at": "2024-03-04T14:00:00Z",
        "answered_at": "2024-03-04T14:00:20Z",
        "ended_at": "2024-03-04T14:05:20Z",
        "wait_seconds": 20,
        "talk_seconds": 300,
        "outcome": "handled",
        "updated_at": "",
    }
    row.update(values)
    return row


def write_csv(path: Path, rows: list[dict[str, object]], headers: list[str] | None = None) -> Path:
    """Write rows as a UTF-8 CSV with a header row."""
    headers = headers or CONTACT_HEADERS
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _cell_xml(ref: str, value: object) -> str:
    if isinstance(value, Formula):
        cached = "" if value.cached is None else f"<v>{escape(str(value.cached))}</v>"
        kind = ' t="str"' if isinstance(value.cached, str) else ""
        return f'<c r="{ref}"{kind}><f>{escape(value.text)}</f>{cached}</c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


@dataclass(frozen=True)
class Formula:
    """A formula cell, with the value Excel computed and cached (None: never computed)."""

    text: str
    cached: object = None


SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = b"</sheetData></worksheet>"
MAIN = "http://schemas.openxmlformats.org"
WORKBOOK_PARTS = {
    "[Content_Types].xml": f'<Types xmlns="{MAIN}/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>',
    "_rels/.rels": f'<Relationships xmlns="{MAIN}/package/2006/relationships"><Relationship '
    f'Id="rId1" Type="{MAIN}/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": f'<workbook xmlns="{MAIN}/spreadsheetml/2006/main" xmlns:r="{MAIN}/'
    'officeDocument/2006/relationships"><sheets><sheet name="Calls" sheetId="1" r:id="rId1"/>'
    "</sheets></workbook>",
    "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{MAIN}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{MAIN}/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>',
}


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """A minimal one-sheet workbook (inline strings, numbers, `Formula` cells)."""
    xml = "".join(
        f'<row r="{r}">'
        + "".join(_cell_xml(f"{chr(65 + c)}{r}", v) for c, v in enumerate(row) if v is not None)
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in WORKBOOK_PARTS.items():
            archive.writestr(name, text)
        sheet = SHEET_START + xml.encode() + SHEET_END
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def write_zip_bomb(path: Path, *, gib: int = 2) -> Path:
    """A workbook whose sheet inflates to `gib` GiB of blanks from about a thousandth of that.

    The deflate stream repeats one compressed 16 MiB block: after a full flush the compressor
    starts afresh, so every block compresses to the same bytes. The CRC is left 0: a reader
    inflates everything before it can find that out.
    """
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = deflate.compress(SHEET_START) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(b" " * (1 << 24)) + deflate.flush(zlib.Z_FULL_FLUSH)
    data = start + block * (gib * 64) + deflate.compress(SHEET_END) + deflate.flush()
    size = len(SHEET_START) + gib * (1 << 30) + len(SHEET_END)
    members = [(n, zlib.compress(t.encode())[2:-4], zlib.crc32(t.encode()), len(t.encode()))
               for n, t in WORKBOOK_PARTS.items()]  # fmt: skip
    members.append(("xl/worksheets/sheet1.xml", data, 0, size))
    local, central = b"", b""
    for name, body, crc, length in members:
        encoded = name.encode()
        fields = (20, 0, 8, 0, 0, crc, len(body), length, len(encoded))
        central += struct.pack("<IH", 0x02014B50, 20) + struct.pack("<HHHHHIIIH", *fields)
        central += struct.pack("<HHHHII", 0, 0, 0, 0, 0, len(local)) + encoded
        local += struct.pack("<I", 0x04034B50) + struct.pack("<HHHHHIIIH", *fields)
        local += struct.pack("<H", 0) + encoded + body
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(local), 0)  # fmt: skip
    path.write_bytes(local + central + end)
    return path


def need(tool: str, reason: str | None) -> None:
    """Skip with the printed reason when a tool cannot be had; in CI, fail instead."""
    import os

    import pytest

    if reason is None:
        return
    message = f"{tool} unavailable: {reason}"
    print(message)
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def need_browser() -> None:
    """A Chrome or Chromium for Playwright to drive (make test installs Debian's chromium)."""
    from carepulse import browser

    need("Chromium", None if browser.find() else browser.HINT)


def need_poppler() -> None:
    """pdftoppm, pdftotext and pdfinfo (make test installs poppler-utils)."""
    import shutil

    missing = [t for t in ("pdftoppm", "pdftotext", "pdfinfo") if shutil.which(t) is None]
    need("poppler-utils", f"{', '.join(missing)} not on PATH (apt-get install poppler-utils)"
         if missing else None)  # fmt: skip


APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_app(
    page: str | None = None,
    *,
    timeout: float = 60,
    user: dict | None = None,
    secrets: dict | None = None,
    **params: str,
):
    """The app as Streamlit's AppTest runs it: URL parameters set, then switched to `page`;
    with `secrets` and the `user` as `st.user` gives it, where given."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(APP, default_timeout=timeout)
    app.secrets.update(secrets or {})
    if user is not None:
        app.user = user
    for name, value in params.items():
        app.query_params[name] = value
    app.run()
    if page:
        app.switch_page(page)
        app.run()
    assert not app.exception, app.exception
    return app


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """CAREPULSE_* settings from `values` for a block (module fixtures: no monkeypatch there)."""
    from carepulse import settings

    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    settings.get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value
        settings.get_settings.cache_clear()
