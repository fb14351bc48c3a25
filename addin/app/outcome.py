"""What a use case returns: an exit code, what to tell the user, what it wrote.

Exit codes (the CLI returns them, the ribbon and the page map them to boxes and banners):
0 done; 1 the workbook's content has 错误 (or a report was refused because of them);
2 unusable input or output (a JxzpError); 3 a bug (internal error).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

EXIT_OK, EXIT_CONTENT, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


@dataclass
class Outcome:
    exit_code: int = EXIT_OK
    messages: list[str] = field(default_factory=list)  # for the user (stdout in the CLI)
    notes: list[str] = field(default_factory=list)  # side remarks and problems (stderr in the CLI)
    paths: list[Path] = field(default_factory=list)  # files the use case wrote

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK

    def say(self, text: str = "") -> None:
        self.messages.append(text)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def wrote(self, path: Path) -> Path:
        self.paths.append(Path(path))
        return Path(path)

    @property
    def text(self) -> str:
        return "\n".join(self.messages)
