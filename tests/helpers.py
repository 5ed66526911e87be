"""Small builders for canonical test files."""

from __future__ import annotations

import csv
import zipfile
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


def _xlsx_cell(reference: str, value: object) -> str:
    if isinstance(value, str):
        return f'<c r="{reference}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
    return f'<c r="{reference}"><v>{value}</v></c>'


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """Write rows (the first is the header) as a one-sheet workbook of text and number cells."""
    sheet = "".join(
        f'<row r="{r}">'
        + "".join(_xlsx_cell(f"{chr(65 + c)}{r}", v) for c, v in enumerate(row) if v is not None)
        + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    types = "http://schemas.openxmlformats.org/package/2006/content-types"
    sheetml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{types}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{sheetml}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheetml}.worksheet+xml"/>'
        "</Types>",
        "_rels/.rels": f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
        f'Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{office}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}"><Relationship '
        f'Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{sheet}</sheetData>'
        "</worksheet>",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
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
