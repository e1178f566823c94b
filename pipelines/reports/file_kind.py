"""What an uploaded file really is, whatever its extension says, and a name for it that is safe to show."""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import Literal

from sanse.pipelines.reports.problems import Problem, file_error

Kind = Literal["xlsx", "csv"]
OLE_SIGNATURE = bytes.fromhex("d0cf11e0a1b11ae1")  # the container of Office 97-2003 files
MAX_SHOWN_NAME = 100
SNIFF_BYTES = 2048
CONTENT_TYPES_LIMIT = 1024 * 1024  # a real [Content_Types].xml is a few KB
MAX_ZIP_ENTRIES = 1000  # a workbook of 100 sheets has a few hundred parts
MAX_ZIP_DIRECTORY_BYTES = 256 * 1024
ZIP_END = b"PK\x05\x06"  # end of central directory record: 22 bytes, then a comment of up to 64 KB
DAMAGED = "这个 Excel 工作簿已损坏或不完整：请在 Excel/WPS 中重新保存后上传"
SAVE_AS_XLSX = "请在 Excel/WPS 中打开，另存为 .xlsx 后上传"
UPLOAD_A_TABLE = "请上传 Excel/WPS 表格（.xlsx）或 CSV 文件"

OLD_XLS = "这是旧版 Excel 97-2003 (.xls) 文件：请在 Excel/WPS 中另存为 .xlsx 后上传"
OLE_STREAMS = (  # (stream name in the OLE directory, what the file is); first match wins
    ("EncryptedPackage", "这个表格设置了打开密码：请在 Excel/WPS 中取消密码，另存为 .xlsx 后上传"),
    ("WordDocument", f"这是旧版 Word 文档（.doc），不是表格：{UPLOAD_A_TABLE}"),
    ("PowerPoint Document", f"这是旧版 PowerPoint 演示文稿（.ppt），不是表格：{UPLOAD_A_TABLE}"),
)
IMAGE = "这是一张图片（{}），不是表格：" + UPLOAD_A_TABLE + "，不要上传截图或照片"
MAGIC = (  # (leading bytes, what the file is)
    (b"%PDF-", f"这是 PDF 文件，不是表格：{UPLOAD_A_TABLE}"),
    (b"\x89PNG\r\n\x1a\n", IMAGE.format("PNG")),
    (b"\xff\xd8\xff", IMAGE.format("JPEG")),
    (b"GIF87a", IMAGE.format("GIF")),
    (b"GIF89a", IMAGE.format("GIF")),
    (b"II*\x00", IMAGE.format("TIFF")),
    (b"MM\x00*", IMAGE.format("TIFF")),
    (b"{\\rtf", f"这是 RTF 文档，不是表格：{UPLOAD_A_TABLE}"),
    (b"\x1f\x8b", "这是压缩包（gzip），不是表格：请解压后上传其中的表格"),
    (b"Rar!\x1a\x07", "这是压缩包（RAR），不是表格：请解压后上传其中的表格"),
    (b"7z\xbc\xaf\x27\x1c", "这是压缩包（7z），不是表格：请解压后上传其中的表格"),
    (b"\xff\xfe", "这是 UTF-16 编码的文本（Excel 的“Unicode 文本”）：" + SAVE_AS_XLSX),
    (b"\xfe\xff", "这是 UTF-16 编码的文本：" + SAVE_AS_XLSX),
)
ZIP_CONTENT_TYPES = (  # (main part content type, what the file is; None = a workbook we read)
    ("spreadsheetml.sheet.main+xml", None),
    ("spreadsheetml.template.main+xml", None),
    ("ms-excel.sheet.macroEnabled.main+xml", None),
    ("ms-excel.sheet.binary.macroEnabled.main", "这是二进制工作簿（.xlsb）：" + SAVE_AS_XLSX),
    ("wordprocessingml.document", f"这是 Word 文档（.docx），不是表格：{UPLOAD_A_TABLE}"),
    ("presentationml.presentation", f"这是 PowerPoint 演示文稿（.pptx），不是表格：{UPLOAD_A_TABLE}"),
)
ODF_TYPES = {
    "application/vnd.oasis.opendocument.spreadsheet": "这是 OpenDocument 表格（.ods）：" + SAVE_AS_XLSX,
    "application/vnd.oasis.opendocument.text": f"这是 OpenDocument 文档（.odt），不是表格：{UPLOAD_A_TABLE}",
}
# What zipfile raises for a damaged or crafted archive (RuntimeError: encrypted; struct.error: short records;
# zlib.error: a broken deflate stream; KeyError: a part the directory names is missing)
ZIP_FAILURES = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    struct.error,
    KeyError,
    zlib.error,
)
READ_AS = {"xlsx": ({".xlsx", ".xlsm"}, "Excel 工作簿", ".xlsx"), "csv": ({".csv", ".txt"}, "CSV 文本", "CSV")}


def display_name(source_name: str) -> str:
    """The file's own name without folders, control or direction-changing characters (a name
    comes from the uploading browser and may hold anything, NUL included)."""
    name = re.split(r"[\\/]", str(source_name))[-1]
    kept = []
    for ch in name:
        category = unicodedata.category(ch)
        if category == "Zs":
            kept.append(" ")
        elif not category.startswith("C") and category not in ("Zl", "Zp"):
            kept.append(ch)
    return "".join(kept).strip()[:MAX_SHOWN_NAME] or "上传的文件"


class ArchiveRefused(ValueError):
    """A zip whose directory is not of a workbook's size; the message is for the clerk."""


def open_archive(content: bytes) -> zipfile.ZipFile:
    """The zip's central directory, read only after its size is checked from the end record:
    zipfile would otherwise build an object for each of a crafted file's million entries."""
    end = content.rfind(ZIP_END, max(0, len(content) - 22 - 0xFFFF), max(0, len(content) - 18))
    if end < 0:
        raise zipfile.BadZipFile("no end of central directory")
    entries, directory_bytes = struct.unpack("<HI", content[end + 10 : end + 16])
    if entries > MAX_ZIP_ENTRIES or directory_bytes > MAX_ZIP_DIRECTORY_BYTES:
        raise ArchiveRefused(f"文件内部有 {entries} 个部件，不像 Excel 工作簿：{SAVE_AS_XLSX}")
    archive = zipfile.ZipFile(io.BytesIO(content))
    if len(archive.infolist()) > MAX_ZIP_ENTRIES:
        raise ArchiveRefused(f"文件内部有 {len(archive.infolist())} 个部件，不像 Excel 工作簿：{SAVE_AS_XLSX}")
    return archive


def identify_upload(content: bytes, source_name: str) -> tuple[Kind | None, list[Problem]]:
    """("xlsx" or "csv", warnings) for a file we read; (None, [the error]) for anything else."""
    if not content:
        return None, [file_error("文件是空的（0 字节）：请重新保存或导出后再上传")]
    head = content[:SNIFF_BYTES]
    if head.startswith(OLE_SIGNATURE):
        return None, [file_error(_ole_kind(content))]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        message = _zip_kind(content)
        return (None, [file_error(message)]) if message else ("xlsx", _extension_warning("xlsx", source_name))
    for magic, message in MAGIC:
        if head.startswith(magic):
            return None, [file_error(message)]
    if head[8:12] == b"WEBP" and head.startswith(b"RIFF"):
        return None, [file_error(IMAGE.format("WEBP"))]
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
        return None, [file_error(IMAGE.format("HEIC"))]
    markup = _markup_kind(head, source_name)
    if markup:
        return None, [file_error(markup)]
    if b"\x00" in content:  # text never holds NUL; this is some other binary format
        return None, [file_error(f"这不是表格文件（含有二进制内容）：{UPLOAD_A_TABLE}")]
    return "csv", _extension_warning("csv", source_name)


def _ole_kind(content: bytes) -> str:
    for stream, message in OLE_STREAMS:
        if stream.encode("utf-16-le") in content:  # directory entries name their streams in UTF-16
            return message
    return OLD_XLS


def _zip_kind(content: bytes) -> str | None:
    """None for a workbook, else what the zip holds instead."""
    try:
        archive = open_archive(content)
        names = archive.namelist()
        if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
            return ODF_TYPES.get(mimetype, "这是 OpenDocument 文件，不是 Excel 工作簿：" + SAVE_AS_XLSX)
        types = ""
        if "[Content_Types].xml" in names and archive.getinfo("[Content_Types].xml").file_size < CONTENT_TYPES_LIMIT:
            types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except ArchiveRefused as refused:
        return str(refused)
    except ZIP_FAILURES:
        return DAMAGED
    for content_type, message in ZIP_CONTENT_TYPES:
        if content_type in types:
            return message
    inside = "、".join(display_name(n) for n in names[:3]) + ("等" if len(names) > 3 else "")
    return f"这是一个压缩包（zip），不是 Excel 工作簿{f'，里面有：{inside}' if inside else ''}：请解压后上传其中的表格"


def _markup_kind(head: bytes, source_name: str) -> str | None:
    """HTML, web archives and XML spreadsheets that office systems export under an .xls name."""
    text = head.decode("utf-8", "ignore").lstrip("\ufeff \t\r\n").lower()
    suffix = PurePosixPath(display_name(source_name)).suffix
    named = f"，只是扩展名为 {suffix}" if suffix else ""
    if text.startswith("mime-version:"):
        return f"这是单个文件网页（.mht）{named}：{SAVE_AS_XLSX}"
    if "urn:schemas-microsoft-com:office:spreadsheet" in text:
        return f"这是 Excel 2003 XML 表格{named}：{SAVE_AS_XLSX}"
    if re.match(r"<(!doctype\s+html|html|head|body|table|meta|style|title)\b", text) or (
        text.startswith("<?xml") and "<html" in text
    ):
        return f"这是网页（HTML）文件{named}：{SAVE_AS_XLSX}"
    if text.startswith("<?xml"):
        return f"这是 XML 文件，不是表格：{UPLOAD_A_TABLE}"
    return None


def _extension_warning(kind: Kind, source_name: str) -> list[Problem]:
    suffix = PurePosixPath(display_name(source_name)).suffix.lower()
    suffixes, what, read_as = READ_AS[kind]
    if not suffix or suffix in suffixes:
        return []
    return [Problem(None, "", f"文件扩展名是 {suffix}，内容却是 {what}：已按 {read_as} 读取", "warning")]
