"""The Chinese faces the PDF embeds, as GB/T 9704 names them: 仿宋 for the body (FandolFang),
a heavy Song for the title in place of 小标宋 (FandolSong Bold), 楷体 (FandolKai), 黑体 (FandolHei)
and 宋体 (FandolSong) from Debian's texlive-lang-chinese, freely licensed and covering GB2312;
a character beyond them falls back to Noto Serif SC or Noto Sans SC (pylopdf-fonts-zh-cn).
Each is cut to the characters a document prints and redrawn with TrueType outlines, which every
PDF reader maps back to text."""

from __future__ import annotations

import functools
import io
from pathlib import Path
from typing import NamedTuple

from sanse.deployment.errors import ConfigError

# Where Debian's texlive-lang-chinese and a hand install put the Fandol fonts.
FANDOL_DIRS = (
    Path("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"),
    Path("/usr/share/fonts/opentype/fandol"),
    Path("/usr/local/share/fonts/fandol"),
)
# The document's faces: (role, file); a role is what the Word file names (仿宋_GB2312 ...).
FACES = {
    "fang": "FandolFang-Regular.otf",  # 仿宋: the body
    "title": "FandolSong-Bold.otf",  # 小标宋: the masthead and titles
    "kai": "FandolKai-Regular.otf",  # 楷体: the signer's name, 编者按
    "hei": "FandolHei-Regular.otf",  # 黑体: labels and table headings
    "song": "FandolSong-Regular.otf",  # 宋体: page numbers
}


class FontMissing(ConfigError):
    """A font package is not installed; the message says how to fix it."""


class FontFiles(NamedTuple):
    faces: dict[str, Path]  # role -> the Fandol file
    serif: Path  # Noto Serif SC: what the Song, 仿宋 and 楷体 faces lack
    sans: Path  # Noto Sans SC: what 黑体 lacks


def font_files() -> FontFiles:
    """The OpenType files a PDF is set in, or FontMissing saying what to install."""
    faces = {}
    for role, name in FACES.items():
        found = next((folder / name for folder in FANDOL_DIRS if (folder / name).is_file()), None)
        if found is None:
            raise FontMissing(
                f"生成 PDF 需要公文字体 {name}（Fandol 字体，在 Debian 软件包 texlive-lang-chinese 中），"
                "当前系统没有安装：请运行 apt-get install texlive-lang-chinese（或 make system）后重试"
            )
        faces[role] = found
    try:
        import pylopdf_fonts_zh_cn as package
    except ImportError:
        raise FontMissing(
            "生成 PDF 需要中文字体包 pylopdf-fonts-zh-cn，当前环境没有安装："
            "请运行 pip install pylopdf-fonts-zh-cn（或 make install）后重试"
        ) from None
    serif, sans = package.serif_path(), package.sans_path()
    for path in (serif, sans):
        if not path.is_file():
            raise FontMissing(f"找不到中文字体文件 {path.name}：请重新安装 pylopdf-fonts-zh-cn 后重试")
    return FontFiles(faces, serif, sans)


@functools.lru_cache(maxsize=16)
def covers(path: Path) -> frozenset[int]:
    """The code points a font file has glyphs for."""
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, lazy=True).getBestCmap())


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
    options.hinting = True  # kept only to be dropped below, where the outlines are redrawn: cheaper than removing
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
