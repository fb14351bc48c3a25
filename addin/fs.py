"""Output safety for every file jxzp writes (workbooks, reports, add-in, JSON), library-neutral.

- check_output_path: refuse names Windows cannot hold, folders, the input itself, an existing
  file unless the caller says overwrite.
- atomic_write: write to a temporary ``.jxzp-<pid>-*`` file in the target folder, then rename
  into place; a failure never leaves half a file. Temporary files of a process that was killed
  are removed by the next run in that folder (their owner is dead, or they are a day old).
- unique names: with ``unique=True`` the file takes ``name(2).ext``, ``name(3).ext``... claimed
  atomically (hard link, or exclusive create), so concurrent runs never take the same name.
"""
from __future__ import annotations

import errno
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from .core.errors import OutputError

TEMP_PREFIX = ".jxzp-"
STALE_SECONDS = 24 * 3600  # a temp file whose owner we cannot check is left alone for a day
_MAX_COPIES = 1000


def _candidates(path: Path):
    yield path
    for i in range(2, _MAX_COPIES):
        yield path.with_name(f"{path.stem}({i}){path.suffix}")


def unique_path(path: Path) -> Path:
    """path, or 'name(2).ext', 'name(3).ext'... when it exists (a hint; atomic_write(unique=True) claims it)."""
    for cand in _candidates(Path(path)):
        if not cand.exists():
            return cand
    raise OutputError(f"{path.parent} 中同名文件过多，请指定输出文件名")
_WIN_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | {f"LPT{i}" for i in range(1, 10)}


def check_output_path(out: str | Path, *, overwrite: bool, inputs: tuple[Path, ...] = (),
                      suffixes: tuple[str, ...] = ()) -> Path:
    """Refuse an output path that cannot or must not be written; suffixes: the allowed extensions, if any."""
    p = Path(out)
    # the name first: an over-long name makes even exists() fail
    if len(p.name.encode("utf-8")) > 240:
        raise OutputError(f"输出文件名过长（{len(p.name)} 个字符，{len(p.name.encode('utf-8'))} 字节），"
                          "超过系统上限；请缩短到 80 个汉字以内")
    bad = set('<>:"|?*\\') & set(p.name)
    if bad or any(ord(ch) < 32 for ch in p.name):
        shown = "".join(sorted(bad)) or "控制字符"
        raise OutputError(f"输出文件名 {p.name!r} 含有 Windows 不允许的字符 {shown}，请去掉后再试")
    if p.name != p.name.rstrip(". "):
        raise OutputError(f"输出文件名 {p.name!r} 以空格或句点结尾，Windows 会把它改名；请去掉结尾的空格或句点")
    stem = p.name.split(".")[0].strip().upper()
    if stem in _WIN_RESERVED:
        raise OutputError(f"输出文件名 {p.name} 使用了 Windows 保留名 {stem}（设备名），无法在 Windows 中打开；请换一个文件名")
    try:
        exists = p.exists()
        if exists and p.is_dir():
            raise OutputError(f"输出路径 {p} 是文件夹，请给出文件名（如 {p / '自评表_校验标注.xlsx'}）")
        for src in inputs:
            try:
                if exists and p.samefile(src):
                    raise OutputError(f"输出文件 {p} 与输入文件相同。jxzp 不修改输入文件，请换一个输出文件名")
            except OSError:
                pass
        if exists and not overwrite:
            raise OutputError(f"文件 {p} 已存在，未覆盖。如确需覆盖请加 --overwrite，或换一个文件名")
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.exists():
            raise OutputError(f"输出文件夹 {parent} 不存在。请先创建该文件夹，或换一个输出路径")
    except OSError as e:
        raise OutputError(f"无法使用输出路径 {p}：{os_reason(e)}。请换一个较短、存在的输出路径") from None
    if suffixes and p.suffix.lower() not in suffixes:
        raise OutputError(f"输出文件 {p.name} 的扩展名应为 {' 或 '.join(suffixes)}（不是 {p.suffix or '空'}），"
                          f"请改为如 {p.stem}{suffixes[0]}")
    return p


def os_reason(e: OSError) -> str:
    """An OSError in Chinese (strerror is English on most systems)."""
    code = getattr(e, "errno", None)
    reasons = {
        errno.ENOSPC: "磁盘空间不足",
        errno.EROFS: "所在磁盘或文件夹是只读的",
        errno.EACCES: "没有权限",
        errno.EPERM: "没有权限",
        errno.ENAMETOOLONG: "文件名或路径过长",
        errno.ENOENT: "文件或文件夹不存在",
        errno.EISDIR: "这是一个文件夹",
        errno.EIO: "读写出错（磁盘或网络故障）",
        errno.EBUSY: "文件被占用",
    }
    if hasattr(errno, "EDQUOT"):
        reasons[errno.EDQUOT] = "超出磁盘配额"
    if code in reasons:
        return reasons[code]
    return f"系统错误 {e.strerror or e}" if (e.strerror or str(e)) else "系统错误"


def _default_mode() -> int:
    """The permissions a newly created file gets (mkstemp's temporary files are 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # no cheap check: age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def clean_stale_temps(folder: Path) -> int:
    """Remove ``.jxzp-<pid>-*`` files left by a killed run (owner dead, or older than a day)."""
    n = 0
    try:
        entries = list(Path(folder).glob(TEMP_PREFIX + "*"))
    except OSError:
        return 0
    now = time.time()
    for p in entries:
        try:
            if not p.is_file():
                continue
            pid_text = p.name[len(TEMP_PREFIX):].split("-", 1)[0]
            dead = pid_text.isdigit() and not _pid_alive(int(pid_text))
            if dead or now - p.stat().st_mtime > STALE_SECONDS:
                p.unlink()
                n += 1
        except OSError:
            continue
    return n


def _claim(tmp: Path, out: Path, *, overwrite: bool, unique: bool) -> Path:
    """Move the finished temporary file to its name; with unique, to the first free name(N)."""
    if overwrite:
        os.replace(tmp, out)
        return out
    for cand in (_candidates(out) if unique else (out,)):
        try:
            os.link(tmp, cand)  # atomic: fails when the name is taken, even by a concurrent run
        except FileExistsError:
            if unique:
                continue
            raise OutputError(f"文件 {out} 已存在，未覆盖。如确需覆盖请加 --overwrite") from None
        except OSError as e:
            if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV, errno.EMLINK) \
                    and not isinstance(e, (NotImplementedError,)):
                raise
            # no hard links here (FAT, some network shares): reserve the name, then replace it
            try:
                fd = os.open(cand, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if unique:
                    continue
                raise OutputError(f"文件 {out} 已存在，未覆盖。如确需覆盖请加 --overwrite") from None
            os.close(fd)
            os.replace(tmp, cand)
            return cand
        tmp.unlink()
        return cand
    raise OutputError(f"{out.parent} 中同名文件过多，请指定输出文件名")


def atomic_write(out: Path, write: Callable[[Path], None], *, overwrite: bool, unique: bool = False) -> Path:
    """Write through a temporary file in the same folder, then rename into place; returns the path written.

    unique: never replace; take name(2).ext, name(3).ext... when the name is taken (also by a concurrent run).
    """
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    clean_stale_temps(parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=out.suffix, dir=parent)
    except PermissionError:
        raise OutputError(f"没有写入权限：文件夹 {parent} 不允许写入（只读或无权限）。请换一个输出文件夹") from None
    except OSError as e:
        raise OutputError(f"无法在文件夹 {parent} 中写文件：{os_reason(e)}。请换一个输出文件夹") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        try:  # same permissions as any new file (or as the file replaced), not mkstemp's 0600
            mode = out.stat().st_mode & 0o7777 if (overwrite and out.exists()) else _default_mode()
            os.chmod(tmp_path, mode)
        except OSError:
            pass
        return _claim(tmp_path, out, overwrite=overwrite, unique=unique)
    except PermissionError:
        raise OutputError(f"无法写入 {out}：文件被占用（可能正在 Excel/WPS/Word 中打开）或没有权限。"
                          "请关闭该文件后重试，或换一个文件名") from None
    except OutputError:
        raise
    except OSError as e:
        raise OutputError(f"无法写入 {out}：{os_reason(e)}。请检查磁盘空间和权限，或换一个输出位置") from None
    finally:
        if tmp_path.exists():
            try:
                tmp_path.unlink()
            except OSError:
                pass
