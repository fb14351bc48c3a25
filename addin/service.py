"""Deprecated names of round 1, kept for one round so parallel branches keep importing: use addin.app."""
from __future__ import annotations

from .app.books import (SAMPLE_DATA, framework_for, load_and_evaluate, names_table, open_book,  # noqa: F401
                        read_json_file, sample_data, sample_path)
from .app.books import create_template as new_template  # noqa: F401
from .app.books import export_data as export  # noqa: F401
from .app.books import fill_file as fill  # noqa: F401
from .app.books import write_sample as make_sample  # noqa: F401
from .app.books import new_from_previous, SEND_SUFFIX  # noqa: F401
from .app.books import send_ready_file as send_ready  # noqa: F401
