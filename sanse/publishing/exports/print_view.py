"""The bulletin as HTML that prints as the 公文 does: A4, the GB/T 9704 版心, page numbers
"— 1 —", the ranking as 附件 on a page of its own with its headings repeated, the 版记 at the
foot of the last page. One self-contained file, or the document for the dashboard's print page."""

from __future__ import annotations

import html

from sanse.facts.tiers import TIER_COLOURS, TIER_TEXT_COLOURS
from sanse.publishing.exports.gongwen import (
    ATTACHMENT,
    BOTTOM_MM,
    CELL_PADDING_MM,
    COPY_TO,
    CORRECTION,
    EDITOR_NOTE,
    ERHAO,
    GROUP,
    LEFT_MM,
    LINE_PITCH_PT,
    MASTHEAD_PT,
    PAGE_DASH,
    RED,
    REPORT_TO,
    RIGHT_MM,
    SANHAO,
    SIGNER,
    SIHAO,
    TABLE_COLUMNS,
    TABLE_LINE_PT,
    TEXT_WIDTH_MM,
    TOP_MM,
    WINDOW_SPAN,
    WUHAO,
    XIAOSI,
    Gongwen,
    gongwen,
)
from sanse.publishing.issue import Issue

# The fonts the standard names first, then what Windows, macOS and Linux have in their place.
TITLE_FONTS = '"方正小标宋简体", "方正小标宋_GBK", "华文中宋", "STZhongsong", "宋体", "SimSun", "Songti SC", "Noto Serif CJK SC", serif'
BODY_FONTS = '"仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC", serif'
HEADING_FONTS = '"黑体", "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif'
NAME_FONTS = '"楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "STKaiti", "Noto Serif CJK SC", serif'
PAGE_NUMBER_FONTS = '"宋体", "SimSun", "Songti SC", "Noto Serif CJK SC", serif'

# The document's own rules, under .gongwen so that on the dashboard's print page they style
# the document and nothing else; the @page rules hold for the page it prints on.
STYLE = f"""
@page {{ size: A4 portrait; margin: {TOP_MM}mm {RIGHT_MM}mm {BOTTOM_MM}mm {LEFT_MM}mm; }}
@page :right {{ @bottom-right {{ content: "{PAGE_DASH} " counter(page) " {PAGE_DASH}"; }} }}
@page :left {{ @bottom-left {{ content: "{PAGE_DASH} " counter(page) " {PAGE_DASH}"; }} }}
@page {{
  @bottom-right {{ font: {SIHAO}pt {PAGE_NUMBER_FONTS}; vertical-align: top; padding: 7mm {SIHAO}pt 0; }}
  @bottom-left {{ font: {SIHAO}pt {PAGE_NUMBER_FONTS}; vertical-align: top; padding: 7mm {SIHAO}pt 0; }}
}}
.gongwen, .gongwen * {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; box-sizing: border-box; }}
.gongwen {{ font: {SANHAO}pt/{LINE_PITCH_PT}pt {BODY_FONTS}; color: #000; background: #fff; margin: 0 auto;
           width: {TEXT_WIDTH_MM}mm; }}
@media screen {{
  .gongwen {{ max-width: 100%; padding: 4mm 0; }}
  .gongwen .annex {{ margin-top: 12mm; border-top: 1px dashed #999; padding-top: 6mm; }}
  .gongwen .scroll {{ overflow-x: auto; }}
}}
.gongwen p {{ margin: 0; text-indent: 2em; text-align: justify; }}
div.gongwen p, div.gongwen th, div.gongwen td {{ font-size: inherit; line-height: inherit; }}  /* over a host page's own sizes */
.gongwen .masthead {{ font: {MASTHEAD_PT}pt/1.3 {TITLE_FONTS}; color: #{RED}; text-align: center; letter-spacing: 4pt;
            margin: 0 0 {SANHAO}pt; }}
.gongwen .number {{ text-align: center; }}
.gongwen .number.signed {{ display: flex; justify-content: space-between; padding: 0 1em; }}
.gongwen .name, .gongwen .editor-note span {{ font-family: {NAME_FONTS}; }}
.gongwen .office {{ display: flex; justify-content: space-between; border-bottom: 0.5mm solid #{RED};
          padding-bottom: 2mm; margin-bottom: {LINE_PITCH_PT}pt; }}
.gongwen .label {{ font-family: {HEADING_FONTS}; }}
.gongwen .correction, .gongwen .editor-note, .gongwen .imprint p {{ white-space: pre-line; }}  /* the office's own line breaks */
.gongwen h1 {{ font: {ERHAO}pt/{LINE_PITCH_PT}pt {TITLE_FONTS}; text-align: center; margin: {LINE_PITCH_PT}pt 0; padding: 0; }}
.gongwen p.attachment-note {{ margin-top: {LINE_PITCH_PT}pt; text-indent: 0; padding-left: 2em; }}
/* 9704 7.3.6: the 附件 on a page of its own; the 版记 at the foot of its (last) page */
.gongwen .annex {{ break-before: page; display: flex; flex-direction: column; min-height: 221mm; }}
.gongwen .annex-label {{ font: {SANHAO}pt/{LINE_PITCH_PT}pt {HEADING_FONTS}; margin: 0; padding: 0; }}
.gongwen h2 {{ font: {ERHAO}pt/{LINE_PITCH_PT}pt {TITLE_FONTS}; text-align: center; margin: 0 0 2mm; padding: 0; }}
.gongwen table {{ border-collapse: collapse; table-layout: fixed; margin: 0 auto; font-size: {WUHAO}pt;
        line-height: {TABLE_LINE_PT}pt; }}
.gongwen th, .gongwen td {{ border: 0.5pt solid #000; padding: 0.6mm {CELL_PADDING_MM}mm; text-align: center;
        vertical-align: middle; color: #000; }}
.gongwen th {{ font-family: {HEADING_FONTS}; font-weight: normal; }}
.gongwen thead {{ display: table-header-group; }}
.gongwen tr {{ break-inside: avoid; page-break-inside: avoid; }}
.gongwen td.name {{ text-align: left; }}
.gongwen td.tier {{ font-weight: bold; }}
.gongwen th.group {{ text-align: left; }}
.gongwen .footnote {{ font-size: {XIAOSI}pt; line-height: {XIAOSI * 1.5}pt; text-indent: 0; margin-top: 2mm; }}
.gongwen .annex .scroll, .gongwen .annex .footnote {{ margin-bottom: 4mm; }}
/* the note goes over with the 版记 when they do not fit under the table: never a 版记 alone */
.gongwen .tail {{ flex: 1 0 auto; display: flex; flex-direction: column; break-inside: avoid; }}
.gongwen .tail::after {{ content: ""; order: 1; flex: 1 0 4mm; }}  /* the room above the 版记 */
.gongwen .imprint {{ order: 2; border-top: 0.35mm solid #000; border-bottom: 0.35mm solid #000;
           font-size: {SIHAO}pt; }}
.gongwen .imprint p {{ text-indent: 0; padding: 0 1em; }}
.gongwen .imprint p + p {{ border-top: 0.25mm solid #000; }}
.gongwen .imprint .issued {{ display: flex; justify-content: space-between; }}
"""


def print_html(issue: Issue) -> str:
    """The issue as a page of its own: a file that prints as the 公文 does."""
    doc = gongwen(issue)
    title = f"{doc.masthead} {doc.number} {doc.day}"
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        f"<style>{STYLE}body {{ margin: 0; }} @media screen {{ body {{ margin: 12mm 0; }} }}</style>\n</head>\n<body>\n"
        + print_body(issue)
        + "\n</body>\n</html>\n"
    )


def print_body(issue: Issue) -> str:
    """The document itself, one <div class="gongwen"> that STYLE lays out."""
    doc = gongwen(issue)
    e = html.escape
    parts = [
        f'<div class="masthead">{e(doc.masthead)}</div>',
        (
            f'<div class="number signed"><span>{e(doc.number)}</span>'
            f'<span>{e(SIGNER)}<span class="name">{e(doc.signer)}</span></span></div>'
        )
        if doc.signer
        else f'<div class="number">{e(doc.number)}</div>',
        f'<div class="office"><span>{e(doc.office)}</span><span>{e(doc.day)}</span></div>',
    ]
    if doc.correction:
        parts.append(f'<p class="correction"><span class="label">{e(CORRECTION)}</span>{e(doc.correction)}</p>')
    parts.append(f"<h1>{e(doc.title)}</h1>")
    if doc.editor_note:
        parts.append(
            f'<p class="editor-note"><span class="label">{e(EDITOR_NOTE)}</span><span>{e(doc.editor_note)}</span></p>'
        )
    parts.extend(f"<p>{e(text)}</p>" for text in doc.paragraphs)
    parts.append(f'<p class="attachment-note">{e(doc.attachment_note)}</p>')
    parts.append(_ranking(doc))
    return '<div class="gongwen">\n' + "\n".join(parts) + "\n</div>"


def _ranking(doc: Gongwen) -> str:
    e = html.escape
    start, span = WINDOW_SPAN
    columns = "".join(f'<col style="width:{c.width_mm}mm">' for c in TABLE_COLUMNS)
    first, second = [], []
    for index, spec in enumerate(TABLE_COLUMNS):
        heading = "<br>".join(e(line) for line in doc.headings[index].split("\n"))
        if spec.in_window:
            if index == start:
                first.append(f'<th colspan="{span}">{e(doc.window)}</th>')
            second.append(f"<th>{heading}</th>")
        else:
            first.append(f'<th rowspan="2">{heading}</th>')
    rows = []
    for group in doc.groups:
        if group.name:
            rows.append(f'<tr><th class="group" colspan="{len(TABLE_COLUMNS)}">{e(GROUP + group.name)}</th></tr>')
        for cells in group.rows:
            rows.append("<tr>" + "".join(_cell(cell) for cell in cells) + "</tr>")
    footnote = f'<p class="footnote">{e(doc.footnote)}</p>\n' if doc.footnote else ""
    width = sum(c.width_mm for c in TABLE_COLUMNS)
    return (
        f'<section class="annex">\n<div class="annex-label">{e(ATTACHMENT)}</div>\n<h2>{e(doc.table_title)}</h2>\n'
        f'<div class="scroll"><table style="width:{width}mm">\n<colgroup>{columns}</colgroup>\n'
        f"<thead>\n<tr>{''.join(first)}</tr>\n<tr>{''.join(second)}</tr>\n</thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table></div>\n"
        f'<div class="tail">{footnote}{_imprint(doc)}</div>\n</section>'
    )


def _cell(cell) -> str:
    text = html.escape(cell.text)
    if cell.tier in TIER_COLOURS:
        style = f"background:{TIER_COLOURS[cell.tier]};color:{TIER_TEXT_COLOURS[cell.tier]}"
        return f'<td class="tier" style="{style}">{text}</td>'
    return f'<td class="name">{text}</td>' if cell.align == "left" else f"<td>{text}</td>"


def _imprint(doc: Gongwen) -> str:
    e = html.escape
    lines = [
        f"<p>{e(label + text)}</p>" for label, text in ((REPORT_TO, doc.report_to), (COPY_TO, doc.copy_to)) if text
    ]
    lines.append(f'<p class="issued"><span>{e(doc.issued_by)}</span><span>{e(doc.issued_on)}</span></p>')
    return '<div class="imprint">\n' + "\n".join(lines) + "\n</div>"
