"""Uploaded files: a private temporary folder, server-chosen places, the file checks before anything reads them.

A client's file name is shown back to the user and used for download names, never as a path:
each upload gets its own random folder, and the name inside it is rebuilt from safe characters.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import InputError
from ..xlsx.files import MAX_FILE_BYTES, check_workbook_file

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
MAX_BATCH_FILES = 500
_UNSAFE = re.compile(r"[^\w\u3000-\u303f\uff00-\uffef()（）\[\]【】 .+-]", re.UNICODE)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def display_name(client_name: str | None, default: str = "工作簿.xlsx") -> str:
    """The last component of what the browser sent, stripped of anything a file system or terminal minds."""
    name = unicodedata.normalize("NFC", str(client_name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    name = _UNSAFE.sub("_", name).strip(" .")
    while ".." in name:
        name = name.replace("..", ".")
    if len(name.encode("utf-8")) > 150:
        stem, dot, ext = name.rpartition(".")
        keep = stem if dot else name
        while len((keep + dot + ext).encode("utf-8")) > 150:
            keep = keep[:-1]
        name = keep + dot + ext if dot else keep
    return name or default


@dataclass
class Upload:
    token: str
    path: Path  # on disk, inside the private folder
    name: str  # what the user called it (display only)
    extra: dict = field(default_factory=dict)


class UploadStore:
    """All files of one server run, under one 0700 temporary folder removed by close()."""

    def __init__(self, root: Path | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="jxzp-web-", dir=root))
        os.chmod(self.root, 0o700)
        self._items: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def new_folder(self) -> tuple[str, Path]:
        token = secrets.token_urlsafe(18)
        folder = self.root / token
        folder.mkdir(mode=0o700)
        return token, folder

    def save(self, stream, client_name: str | None, *, limit: int = MAX_FILE_BYTES, folder: Path | None = None,
             token: str | None = None) -> Upload:
        """Copy an upload stream to disk (bounded), check it is a workbook, remember it."""
        name = display_name(client_name)
        if folder is None:
            token, folder = self.new_folder()
        if not name.lower().endswith(WORKBOOK_SUFFIXES):
            raise InputError(f"{name} 不是 Excel 工作簿（.xlsx）。请选择自评表 .xlsx 文件；"
                             "如为 .xls/.et/.ods 等格式，请先在 Excel/WPS 中“另存为”Excel 工作簿（*.xlsx）")
        path = folder / name
        written = 0
        with open(path, "wb") as fh:
            while True:
                chunk = stream.read(1 << 16)
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    fh.close()
                    path.unlink(missing_ok=True)
                    raise TooLarge(f"{name} 超过 {limit // 1048576} MB 上限，不像是自评表；请检查是否选错了文件")
                fh.write(chunk)
        try:
            check_workbook_file(path)
        except InputError:
            path.unlink(missing_ok=True)
            raise
        up = Upload(token, path, name)
        with self._lock:
            self._items[token] = up
        return up

    def get(self, token: str) -> Upload | None:
        if not _TOKEN.match(token or ""):
            return None
        with self._lock:
            return self._items.get(token)

    def out_path(self, token: str, filename: str) -> Path:
        """Where a result for an upload is written (a fresh folder: downloads never collide)."""
        sub = self.root / token / ("out-" + secrets.token_hex(6))
        sub.mkdir(mode=0o700)
        return sub / display_name(filename)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class TooLarge(InputError):
    """An upload over the size limit (HTTP 413)."""
