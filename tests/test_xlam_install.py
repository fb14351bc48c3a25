"""jxzp install-addin / uninstall-addin. Windows is simulated: platform check, %APPDATA% and the
interpreter's folder are pointed at a temporary tree with a stand-in xlwings DLL."""
from __future__ import annotations

from pathlib import Path

import pytest

from addin.cli import main
from addin.xlam import build, install, package

DLL = f"xlwings64-{build.XLWINGS_VERSION}.dll"


@pytest.fixture
def windows(tmp_path, monkeypatch) -> dict[str, Path]:
    env = tmp_path / "venv"
    exe = env / "Scripts" / "pythonw.exe"
    exe.parent.mkdir(parents=True)
    exe.write_bytes(b"")
    (env / DLL).write_bytes(b"")  # where pip puts it: the environment root
    appdata = tmp_path / "AppData" / "Roaming"
    monkeypatch.setattr(install, "is_windows", lambda: True)
    monkeypatch.setattr(install, "interpreter", lambda: exe)
    monkeypatch.setenv("APPDATA", str(appdata))
    return {"exe": exe, "env": env, "xlstart": appdata / "Microsoft" / "Excel" / "XLSTART"}


def test_not_windows_explains_and_exits_2(monkeypatch, capsys):
    monkeypatch.setattr(install, "is_windows", lambda: False)
    assert main(["install-addin"]) == 2
    out = capsys.readouterr().out
    assert "只能在 Windows 上运行" in out and "jxzp build-addin" in out and "jxzp validate" in out
    assert main(["uninstall-addin"]) == 2


def test_install_writes_the_addin_with_this_interpreter_into_xlstart(windows, capsys):
    assert main(["install-addin"]) == 0
    target = windows["xlstart"] / "jxzp.xlam"
    data = target.read_bytes()
    assert data == build.build_addin(interpreter=str(windows["exe"]))
    assert build.addin_info(data)["config"]["Interpreter_Win"] == str(windows["exe"])
    out = capsys.readouterr().out
    assert str(target) in out and str(windows["env"] / DLL) in out and "重新启动 Excel" in out
    assert main(["install-addin"]) == 0  # reinstall replaces it
    assert list(windows["xlstart"].iterdir()) == [target]  # no temporary files left


def test_install_a_prebuilt_addin_fills_in_the_interpreter(windows, tmp_path):
    prebuilt = tmp_path / "from-ci.xlam"
    prebuilt.write_bytes(build.build_addin())
    assert main(["install-addin", "--addin", str(prebuilt)]) == 0
    data = (windows["xlstart"] / "jxzp.xlam").read_bytes()
    assert data == build.set_interpreter(prebuilt.read_bytes(), str(windows["exe"]))


def test_install_refuses_a_foreign_or_mismatched_addin(windows, tmp_path, capsys):
    import xlwings

    foreign = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
    assert main(["install-addin", "--addin", str(foreign)]) == 2
    assert "不是 jxzp" in capsys.readouterr().err
    old = build.build_addin()
    core = package.read_part(old, "docProps/core.xml").replace(
        f"xlwings {build.XLWINGS_VERSION}".encode(), b"xlwings 0.30.0")
    stale = tmp_path / "stale.xlam"
    stale.write_bytes(package.replace_part(old, "docProps/core.xml", core))
    assert main(["install-addin", "--addin", str(stale)]) == 2
    assert "0.30.0" in capsys.readouterr().err
    assert main(["install-addin", "--addin", str(tmp_path / "missing.xlam")]) == 2
    assert not (windows["xlstart"] / "jxzp.xlam").exists()


def test_install_checks_the_xlwings_dll(windows, capsys):
    (windows["env"] / DLL).unlink()
    assert main(["install-addin"]) == 2
    err = capsys.readouterr().err
    assert DLL in err and "force-reinstall" in err
    (windows["exe"].parent / f"xlwings32-{build.XLWINGS_VERSION}.dll").write_bytes(b"")  # next to python
    assert main(["install-addin"]) == 0


def test_install_checks_the_xlwings_version(windows, monkeypatch, capsys):
    import xlwings

    monkeypatch.setattr(xlwings, "__version__", "0.31.0")
    assert main(["install-addin"]) == 2
    assert "0.31.0" in capsys.readouterr().err


def test_uninstall_removes_it_and_is_quiet_when_absent(windows, capsys):
    assert main(["install-addin"]) == 0
    assert main(["uninstall-addin"]) == 0
    assert not (windows["xlstart"] / "jxzp.xlam").exists()
    assert "已卸载" in capsys.readouterr().out
    assert main(["uninstall-addin"]) == 0
    assert "无需卸载" in capsys.readouterr().out


def test_missing_appdata_is_a_plain_error(windows, monkeypatch, capsys):
    monkeypatch.delenv("APPDATA")
    assert main(["install-addin"]) == 2
    assert "APPDATA" in capsys.readouterr().err


def test_interpreter_prefers_pythonw(tmp_path, monkeypatch):
    exe = tmp_path / "python.exe"
    exe.write_bytes(b"")
    monkeypatch.setattr(install.sys, "executable", str(exe))
    assert install.interpreter() == exe
    (tmp_path / "pythonw.exe").write_bytes(b"")
    assert install.interpreter() == tmp_path / "pythonw.exe"


def test_install_warns_about_a_non_ascii_python_path(tmp_path, monkeypatch, capsys):
    env = tmp_path / "张三" / "venv"
    exe = env / "Scripts" / "pythonw.exe"
    exe.parent.mkdir(parents=True)
    exe.write_bytes(b"")
    (env / DLL).write_bytes(b"")
    monkeypatch.setattr(install, "is_windows", lambda: True)
    monkeypatch.setattr(install, "interpreter", lambda: exe)
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData" / "Roaming"))
    assert main(["install-addin"]) == 0  # installed all the same: it may work on a Chinese code page
    out = capsys.readouterr().out
    assert "警告" in out and "张三" in out and "英文字母" in out
    assert install.non_ascii_warning(Path(r"C:\Python311\pythonw.exe")) is None
