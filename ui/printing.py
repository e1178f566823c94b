"""The print page: the issue its address names, and its frame: what the browser prints of a
Streamlit page is the document alone.

Streamlit has no print styles of its own: its header, menu and scrolling containers would
print around the document or cut it to one screen. These rules (print media only) hide them
and let the document flow over as many A4 pages as it takes; the button calls the browser's
print, which is all a phone offers for printing or saving a PDF.
"""

from __future__ import annotations

import html

import streamlit as st

from sanse.facts.periods import PeriodError, parse_period
from sanse.publishing.exports.print_view import STYLE, print_body
from sanse.ui import data

CONTROLS = "print-controls"  # the key of the container holding what only the screen shows

_CHROME = f"""
@media print {{
  [data-testid="stHeader"], [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
  [data-testid="stExpandSidebarButton"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], [data-testid="stBottom"], html body .st-key-{CONTROLS} {{ display: none !important; }}
  html, body, .stApp, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"],
  [data-testid="stMainBlockContainer"], [data-testid="stVerticalBlock"], [data-testid="stElementContainer"],
  [data-testid="stHtml"] {{
    position: static !important; overflow: visible !important; height: auto !important; min-height: 0 !important;
    padding: 0 !important; margin: 0 !important; max-width: none !important; background: #fff !important;
    gap: 0 !important; display: block !important;
  }}
}}
.sanse-print {{ min-height: 44px; padding: 0 1.2rem; font-size: 1rem; border-radius: 0.5rem; cursor: pointer;
  border: 1px solid #C00000; background: #C00000; color: #fff; }}
"""


def asked_issue():
    """The issue the address names (?series=day&issue=2026-10-30&version=2), or None when it
    names none that is published."""
    series, key, version = (st.query_params.get(name, "") for name in ("series", "issue", "version"))
    try:
        period = parse_period(key)
    except PeriodError:
        return None
    if period.kind != (series or "day") or (version and not version.isdigit()):
        return None
    return data.published_issue(period, int(version) if version else None)


def print_page(issue) -> str:
    """The issue as its 公文 in HTML, with the print page's <style>."""
    return _page_style(STYLE) + print_body(issue)


def _page_style(document_style: str) -> str:
    """The <style> of the print page: the document's own rules and the frame's."""
    return f"<style>{document_style}{_CHROME}</style>"


def print_button(label: str) -> None:
    """A button that opens the browser's print dialog (where a phone also saves a PDF)."""
    st.html(
        f'<button type="button" id="sanse-print" class="sanse-print">{html.escape(label)}</button>'
        '<script>document.getElementById("sanse-print").addEventListener("click", () => window.print());</script>',
        unsafe_allow_javascript=True,
    )
