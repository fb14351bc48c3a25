"""Typed errors. Messages are Chinese and name the place and the fix."""
from __future__ import annotations


class JxzpError(Exception):
    """Base class: an error the user can act on (shown without a traceback)."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InputError(JxzpError):
    """The input (file, arguments, workbook structure) is unusable: exit code 2."""


class FrameworkError(JxzpError):
    """An indicator framework file is broken."""


class OutputError(JxzpError):
    """An output file cannot be written (exists, locked, read-only folder...)."""


class CalcError(Exception):
    """A rate or score cannot be computed from its inputs.

    code is stable and machine-readable; message is the short Chinese text a UDF cell shows.
    """

    def __init__(self, code: str, message: str, arg: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.arg = arg  # index of the offending argument, when one is to blame

    def __reduce__(self):  # copy/pickle keep code and message (Exception's default would not)
        return (CalcError, (self.code, self.message, self.arg))

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"CalcError({self.code!r}, {self.message!r})"
