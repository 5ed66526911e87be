"""The executive PDF snapshot: gathered from the rollups, rendered as HTML, printed by Chromium."""

from __future__ import annotations

import io

from sqlalchemy.engine import Engine

from carepulse import browser
from carepulse.report.content import Report, gather, voice_extras
from carepulse.report.render import PAPERS, html
from carepulse.selection import Filters
from carepulse.settings import Settings

__all__ = ["PAPERS", "Report", "build", "file_name", "gather", "html", "previews", "voice_extras"]


def build(
    engine: Engine, settings: Settings, f: Filters, *, paper: str = "a4", dashboard: str = ""
) -> tuple[str, bytes]:
    """The report of selection `f` as HTML and as PDF; `dashboard` is the link's base URL."""
    browser.require(settings.chromium or None)  # before the data is read: fail fast
    document = html(gather(engine, settings, f, dashboard=dashboard), paper=paper)
    return document, browser.print_pdf(document, path=settings.chromium or None)


def file_name(f: Filters) -> str:
    """carepulse-report-2026-10-01-to-2026-10-31.pdf"""
    return f"carepulse-report-{f.period.start}-to-{f.period.end}.pdf"


def previews(pdf: bytes, *, width: int = 900) -> list[bytes]:
    """Each page as a PNG about `width` pixels wide (for the Report page's preview)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    images = []
    try:
        for page in document:
            bitmap = page.render(scale=width / page.get_width())
            out = io.BytesIO()
            bitmap.to_pil().save(out, format="PNG")
            images.append(out.getvalue())
    finally:
        document.close()
    return images
