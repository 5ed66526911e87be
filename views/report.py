"""Report: the executive PDF of the filtered view, previewed page by page, to download."""

import streamlit as st

from carepulse import browser, gate, query, report, ui

gate.admit("report")

st.title("Report")
f = ui.filters()
if not ui.has_data():
    ui.offer_sample()
ui.period_caption(f)
if not query.anything(ui.kpis(f, keys=query.SOMETHING)):
    ui.stop_with(
        "No contacts, survey answers or tickets in this period: nothing to report.",
        hint="Choose a period with data (the sidebar says how fresh each source is).",
    )
paper = st.segmented_control(
    "Paper", list(report.PAPERS), default="a4", format_func=report.PAPERS.get, key="paper"
)
try:
    pdf, pages = ui.report_pdf(f, paper or "a4")
except browser.BrowserUnavailable as error:
    st.error(f"The PDF needs a headless Chrome or Chromium: {error.message}.")
    st.caption(error.hint)
    html = ui.report_html(f, paper or "a4").encode()
    st.download_button(
        "Download the report as HTML (print it from your browser)",
        ui.audited(lambda: html, what="report (HTML)", f=f),
        file_name=report.file_name(f).replace(".pdf", ".html"),
        mime="text/html",
        icon=":material/download:",
        on_click="ignore",
    )
    st.stop()
st.download_button(
    "Download the PDF",
    ui.audited(lambda: pdf, what="report (PDF)", f=f),
    file_name=report.file_name(f),
    mime="application/pdf",
    type="primary",
    icon=":material/picture_as_pdf:",
    on_click="ignore",
)
st.caption(
    f"{len(pages)} pages · the filters of the sidebar, the figures of the dashboard · "
    "the same data and options give the same document"
)
for first in range(0, len(pages), 2):  # two pages side by side, in reading order
    for column, number in zip(st.columns(2), range(first + 1, first + 3), strict=False):
        if number <= len(pages):
            column.image(pages[number - 1], caption=f"Page {number} of {len(pages)}")
