"""The OOXML that python-docx lacks, for the Word 公文: paragraph rules, cell shading and
margins, header rows that repeat, rows that never split, each inserted where the schema
wants it."""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

# What may follow each element we add, in the schema's order: Word refuses a document whose
# properties come out of sequence.
_AFTER = {
    "w:pBdr": (
        "w:shd",
        "w:tabs",
        "w:suppressAutoHyphens",
        "w:kinsoku",
        "w:wordWrap",
        "w:overflowPunct",
        "w:topLinePunct",
        "w:autoSpaceDE",
        "w:autoSpaceDN",
        "w:bidi",
        "w:adjustRightInd",
        "w:snapToGrid",
        "w:spacing",
        "w:ind",
        "w:contextualSpacing",
        "w:mirrorIndents",
        "w:suppressOverlap",
        "w:jc",
        "w:textDirection",
        "w:textAlignment",
        "w:textboxTightWrap",
        "w:outlineLvl",
        "w:divId",
        "w:cnfStyle",
        "w:rPr",
        "w:sectPr",
        "w:pPrChange",
    ),
    "w:shd": (
        "w:noWrap",
        "w:tcMar",
        "w:textDirection",
        "w:tcFitText",
        "w:vAlign",
        "w:hideMark",
        "w:headers",
        "w:cellIns",
        "w:cellDel",
        "w:cellMerge",
        "w:tcPrChange",
    ),
    "w:cantSplit": (
        "w:trHeight",
        "w:tblHeader",
        "w:tblCellSpacing",
        "w:jc",
        "w:hidden",
        "w:ins",
        "w:del",
        "w:trPrChange",
    ),
    "w:tblHeader": ("w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange"),
    "w:tblCellMar": ("w:tblLook", "w:tblCaption", "w:tblDescription"),
    "w:tblpPr": (
        "w:tblOverlap",
        "w:bidiVisual",
        "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize",
        "w:tblW",
        "w:jc",
        "w:tblCellSpacing",
        "w:tblInd",
        "w:tblBorders",
        "w:shd",
        "w:tblLayout",
        "w:tblCellMar",
        "w:tblLook",
        "w:tblCaption",
        "w:tblDescription",
    ),
    "w:tblBorders": ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription"),
}


def border(paragraph, side: str, colour: str, *, eighths: int, space: int = 1) -> None:
    """A rule above or below a paragraph; `eighths` is its weight in eighths of a point."""
    properties = paragraph._p.get_or_add_pPr()
    borders = properties.find(qn("w:pBdr"))
    if borders is None:
        borders = insert(properties, OxmlElement("w:pBdr"))
    line = OxmlElement(f"w:{side}")
    for attribute, value in (("w:val", "single"), ("w:sz", str(eighths)), ("w:space", str(space)), ("w:color", colour)):
        line.set(qn(attribute), value)
    order = ("w:top", "w:left", "w:bottom", "w:right", "w:between", "w:bar")
    insert(borders, line, order[order.index(f"w:{side}") + 1 :])


def shade(cell, fill: str) -> None:
    """A table cell filled with `fill` (RRGGBB)."""
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    insert(cell._tc.get_or_add_tcPr(), shading)


def cell_margins(table, mm: float) -> None:
    """The left and right padding of every cell of `table`."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("w:left", "w:right"):
        margin = OxmlElement(side)
        margin.set(qn("w:w"), str(round(Mm(mm).twips)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    insert(table._tbl.tblPr, margins)


def repeat_as_header(row) -> None:
    """A heading row that Word repeats at the top of every page the table runs onto."""
    insert(row._tr.get_or_add_trPr(), OxmlElement("w:tblHeader"))
    keep_whole(row)


def keep_whole(row) -> None:
    """A row never breaks across two pages."""
    insert(row._tr.get_or_add_trPr(), OxmlElement("w:cantSplit"))


def insert(parent, child, successors: tuple[str, ...] | None = None):
    """Put `child` before the first of its successors in `parent`, else last."""
    if successors is None:
        successors = next(after for tag, after in _AFTER.items() if qn(tag) == child.tag)
    tags = {qn(tag) for tag in successors}
    later = next((element for element in parent if element.tag in tags), None)
    if later is None:
        parent.append(child)
    else:
        later.addprevious(child)
    return child
