"""The Chinese fonts the PDF embeds: Noto Serif SC (宋 style, for text) and Noto Sans SC (黑体, for
headings) from the pylopdf-fonts-zh-cn package, cut to the characters a document prints and
redrawn with TrueType outlines, which every PDF reader maps back to text."""

from __future__ import annotations

import io
from pathlib import Path

from sanse.config import ConfigError


class FontMissing(ConfigError):
    """The font package is not installed; the message says how to fix it."""


def font_files() -> tuple[Path, Path]:
    """(serif, sans): the two OpenType files, or FontMissing saying what to install."""
    try:
        import pylopdf_fonts_zh_cn as package
    except ImportError:
        raise FontMissing(
            "生成 PDF 需要中文字体包 pylopdf-fonts-zh-cn，当前环境没有安装："
            "请运行 pip install pylopdf-fonts-zh-cn（或 make install）后重试"
        ) from None
    files = (package.serif_path(), package.sans_path())
    for path in files:
        if not path.is_file():
            raise FontMissing(f"找不到中文字体文件 {path}：请重新安装 pylopdf-fonts-zh-cn 后重试")
    return files


def truetype_subset(path: Path, text: str) -> bytes:
    """The font at `path` cut to the glyphs of `text`, its CFF outlines redrawn as TrueType.

    fpdf2 embeds a CFF font under a character map of its own that some readers (pypdf among
    them) cannot decode, so the text of such a PDF does not extract; a TrueType font goes in
    as Identity-H, which all of them read. Cutting first keeps this to a few hundred glyphs.
    """
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(path, lazy=True)
    options = subset.Options()
    options.layout_features = []  # no shaping: Chinese text needs none, and GSUB would pull in more glyphs
    options.name_IDs = ["*"]
    options.hinting = False
    cutter = subset.Subsetter(options)
    cutter.populate(text=text)
    cutter.subset(font)

    order = font.getGlyphOrder()
    outlines = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(outlines)
        # 1 unit in 1000 per em: far below what any printer resolves
        outlines[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, glyphs
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:  # vertical origins belong to CFF fonts only
        del font["VORG"]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000  # the TrueType maxp: the counts are recomputed on saving
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["post"].formatType = 3.0  # no glyph names: PDF readers never use them
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()
