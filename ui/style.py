"""The dashboard's one stylesheet: what Streamlit fixes and no setting of it reaches.

Streamlit writes a few words of its own in English (the uploader's "Upload" and its size
note) and draws some controls smaller than a finger on a phone (the − / + of a number, its
inputs, the menu's unlabelled "»"); its table toolbar floats over whatever stands above a
table on a touch screen, where it never hides. STYLE allows custom CSS only where nothing
else works: this is all of it, drawn once per page run by app.py.
"""

from __future__ import annotations

import streamlit as st

from sanse.ui.session import t

# A finger's width (Apple's and Google's guidance: 44 pt / 48 dp); phones are narrower than
# 640 px, Streamlit's own breakpoint, or have no hover.
TOUCH = "44px"
PHONE = "(max-width: 640px), (hover: none)"


def _words(selector: str, text: str, hidden: str | None = None, size: str = "inherit") -> str:
    """Write `text` at the end of `selector`, in place of Streamlit's own words (`hidden`) if any."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    hide = f"{selector} {hidden}{{display:none}}" if hidden else ""
    return f'{hide}{selector}::after{{content:"{quoted}";font-size:{size}}}'


def stylesheet() -> str:
    """The CSS for the current language."""
    uploader = "[data-testid='stFileUploaderDropzone']"
    menu = "[data-testid='stExpandSidebarButton']"
    size = st.get_option("server.maxUploadSize")
    phone = [
        # Every control a finger hits is at least 44 px tall, the − / + of a number as wide.
        f"[data-testid='stNumberInputStepDown'],[data-testid='stNumberInputStepUp']{{min-width:{TOUCH};min-height:{TOUCH}}}",
        f"[data-baseweb='input'],[data-baseweb='select']>div,[data-baseweb='textarea']{{min-height:{TOUCH}}}",
        f"[data-baseweb='input'] input{{min-height:{TOUCH};box-sizing:border-box}}",
        f"[data-testid='stNumberInputContainer'],[data-testid='stNumberInputField']{{min-height:{TOUCH}}}",
        f"[data-testid^='stBaseButton-']:not([data-testid='stBaseButton-elementToolbar']){{min-height:{TOUCH}}}",
        # The table toolbar, always shown on a touch screen, gets a row of its own above the
        # table instead of covering the search box or standing beside the figures.
        f"[data-testid='stFullScreenFrame']:has(>[data-testid='stDataFrame']){{padding-top:{TOUCH}}}",
    ]
    rules = [
        _words(f"{uploader} button [data-testid='stMarkdownContainer']", t("style.upload"), "p"),
        _words(
            f"{uploader} [data-testid='stFileUploaderDropzoneInstructions']>div",
            t("style.upload.limit", mb=size),
            "span",
        ),
        # The sidebar's "»" says what it opens, and is as big as a finger.
        f"{menu}{{width:auto;min-height:{TOUCH};padding:0 .6rem;gap:.3rem}}",
        _words(menu, t("style.menu")),
        # The keyboard's link past the menu (shown on focus) is one bare text: sized away.
        "[data-testid='stSkipToContent']{font-size:0}",
        _words("[data-testid='stSkipToContent']", t("style.skip"), size="1rem"),
        f"@media {PHONE}{{{''.join(phone)}}}",
    ]
    return "<style>" + "".join(rules) + "</style>"


def apply_style() -> None:
    st.html(stylesheet())
