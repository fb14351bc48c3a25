"""`jxzp serve`: waitress on 127.0.0.1, the browser opened on the page, uploads removed on exit."""
from __future__ import annotations

import os
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Callable

from ..core.errors import InputError, OutputError

DEFAULT_PORT = 8765
PORT_TRIES = 20  # when the default port is taken (another jxzp serve), the next free one
SHORTCUT_NAME = "绩效自评助手（网页版）"


def _is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def make_server(host: str = "127.0.0.1", port: int | None = None, *, threads: int = 4):
    """A bound waitress server and its app; port None: DEFAULT_PORT or the next free one; 0: any."""
    from waitress.server import create_server  # noqa: PLC0415

    from .app import create_app  # noqa: PLC0415
    from .uploads import UploadStore  # noqa: PLC0415

    store = UploadStore()
    app = create_app(store=store, allowed_hosts=None if not _is_loopback(host) else {"127.0.0.1", "localhost", "::1"})
    candidates = [port] if port is not None else list(range(DEFAULT_PORT, DEFAULT_PORT + PORT_TRIES))
    last: OSError | None = None
    for p in candidates:
        try:
            # uploads are bounded by the app; waitress's own cap is set just above the batch limit
            server = create_server(app, host=host, port=p, threads=threads, max_request_body_size=1 << 29,
                                   ident="jxzp", clear_untrusted_proxy_headers=True)
            return server, app, store
        except OSError as e:
            last = e
    store.close()
    tried = f"端口 {port}" if port is not None else f"端口 {DEFAULT_PORT}–{DEFAULT_PORT + PORT_TRIES - 1}"
    raise InputError(f"无法在 {host} 的{tried}上启动网页服务（{last.strerror if last else ''}）。"
                     "可能已有程序占用，请用 --port 换一个端口")


def serve(*, host: str = "127.0.0.1", port: int | None = None, open_browser: bool = True,
          say: Callable[[str], None] = print) -> int:
    if not _is_loopback(host):
        say(f"警告：网页服务将监听 {host}，同一网络中的其他计算机也能打开本页面并上传文件。"
            "自评表含部门财务数据，仅在确有需要时使用 --host，用完请及时关闭")
    server, app, store = make_server(host, port)
    shown_host = host if ":" not in host else f"[{host}]"
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else shown_host}:{server.effective_port}/"
    say(f"绩效自评助手网页版已启动：{url}")
    say("请在浏览器中使用；关闭本窗口或按 Ctrl+C 停止服务（上传的文件随之删除）。")
    if open_browser:
        threading.Timer(0.5, _open, args=(url,)).start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["jxzp_jobs"].cancel_all()
        server.close()
        store.close()
        say("网页服务已停止，上传的临时文件已删除。")
    return 0


def _open(url: str) -> None:
    try:
        webbrowser.open(url)
    except Exception:  # no browser: the printed address is enough
        pass


# ---------------------------------------------------------------- desktop shortcut
def desktop_folder(platform: str = sys.platform) -> Path:
    """The user's desktop (Windows asks the shell: it may be redirected to OneDrive)."""
    if platform == "win32":  # pragma: no cover - Windows only
        import ctypes  # noqa: PLC0415
        from ctypes import wintypes  # noqa: PLC0415

        buf = ctypes.create_unicode_buffer(wintypes.MAX_PATH)
        if ctypes.windll.shell32.SHGetFolderPathW(None, 0x0010, None, 0, buf) == 0:  # CSIDL_DESKTOPDIRECTORY
            return Path(buf.value)
    return Path.home() / "Desktop"


def shortcut_text(python: str, platform: str = sys.platform) -> tuple[str, str]:
    """(file name, content) of a launcher for `python -m addin serve`: .bat on Windows, .desktop elsewhere."""
    if platform == "win32":
        if any(ch in python for ch in '"%\r\n'):
            raise OutputError(f"Python 路径 {python} 含有无法写入快捷方式的字符")
        text = ("@echo off\r\n"
                f"title {SHORTCUT_NAME}\r\n"
                "rem 双击启动 jxzp 网页版；关闭此窗口即停止服务\r\n"
                f"\"{python}\" -m addin serve\r\n"
                "if errorlevel 1 pause\r\n")
        return f"{SHORTCUT_NAME}.bat", text
    exec_path = python.replace("\\", "\\\\").replace('"', '\\"')
    text = ("[Desktop Entry]\nType=Application\n"
            f"Name={SHORTCUT_NAME}\nComment=部门整体支出绩效自评：校验、生成报告（本机网页）\n"
            f"Exec=\"{exec_path}\" -m addin serve\nTerminal=true\n")
    return f"{SHORTCUT_NAME}.desktop", text


def create_shortcut(folder: Path | None = None, *, python: str | None = None, platform: str = sys.platform,
                    overwrite: bool = False) -> Path:
    """Write the launcher into folder (default: the desktop); an existing one is kept unless overwrite."""
    from ..xlsx.files import atomic_write, check_output_path  # noqa: PLC0415

    folder = Path(folder) if folder is not None else desktop_folder(platform)
    python = python or sys.executable
    name, text = shortcut_text(python, platform)
    # cmd.exe reads a .bat in the console code page (GBK on Chinese Windows)
    encoding = "oem" if platform == "win32" and os.name == "nt" else ("gbk" if platform == "win32" else "utf-8")
    try:
        data = text.encode(encoding, errors="strict")
    except UnicodeEncodeError:
        raise OutputError(f"Python 的安装路径 {python} 含有命令窗口无法显示的字符，无法生成快捷方式；"
                          "请改用命令 jxzp serve 启动") from None
    out = check_output_path(folder / name, overwrite=overwrite)
    atomic_write(out, lambda t: t.write_bytes(data), overwrite=overwrite)
    if platform != "win32":
        os.chmod(out, 0o755)
    return out
