"""The one explicit configuration object. The core reads no environment variables: the
edges (CLI, ribbon, page) build a Settings — `Settings.from_environment()` — and pass it on."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping


def _default_home() -> Path:
    return Path.home() / ".jxzp"


@dataclass(frozen=True)
class Settings:
    debug: bool = False  # tracebacks instead of friendly messages; rule crashes keep their trace
    home: Path = field(default_factory=_default_home)  # %USERPROFILE%\.jxzp: log, jxzp.conf, user frameworks
    framework_dir: Path | None = None  # the user's own framework files (default: home/frameworks)

    @property
    def frameworks(self) -> Path:
        return self.framework_dir or self.home / "frameworks"

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """JXZP_HOME, JXZP_FRAMEWORKS and JXZP_DEBUG=1, read once at the edge."""
        env = os.environ if environ is None else environ
        s = cls(debug=env.get("JXZP_DEBUG") == "1",
                home=Path(env["JXZP_HOME"]) if env.get("JXZP_HOME") else _default_home(),
                framework_dir=Path(env["JXZP_FRAMEWORKS"]) if env.get("JXZP_FRAMEWORKS") else None)
        return replace(s, **overrides) if overrides else s

    def apply(self) -> "Settings":
        """Point the framework loader at the user's framework folder (the one process-wide setting)."""
        from ..core.framework import set_user_framework_dir  # noqa: PLC0415

        set_user_framework_dir(self.frameworks)
        return self
