"""`jxzp serve`: the jobs of the ribbon and the command line as a local web page (Flask + waitress).

Only imported by `jxzp serve` and the tests: nothing here is on the add-in's button or UDF paths.
"""
from __future__ import annotations


def create_app(*args, **kwargs):
    from .app import create_app as _create  # noqa: PLC0415 - Flask only when the page is wanted

    return _create(*args, **kwargs)
