"""Writing files so that a crash leaves either the old state or the new, never half of one."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_directory(path: Path) -> None:
    """Make a rename or link inside `path` itself durable."""
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def fsync_and_rename(tmp: Path, path: Path) -> None:
    """Flush a finished temporary file to disk and move it into place atomically."""
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_directory(path.parent)


def write_text_atomically(path: Path, text: str) -> None:
    """Replace a small text file whole: a reader sees the old content or the new."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        fsync_and_rename(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
