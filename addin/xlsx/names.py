"""openpyxl cells behind a defined name: shared by the template finisher and the writer."""
from __future__ import annotations

from openpyxl.utils import range_boundaries


def name_cells(wb, name: str) -> list:
    """openpyxl cells of a workbook-level defined name (row-major), or [] if absent/broken."""
    dn = wb.defined_names.get(name)
    if dn is None or "#REF!" in (dn.attr_text or ""):
        return []
    try:
        dests = list(dn.destinations)
    except Exception:
        return []
    out = []
    for sheet, coord in dests:
        if sheet not in wb.sheetnames:
            return []
        ws = wb[sheet]
        c1, r1, c2, r2 = range_boundaries(coord.replace("$", ""))
        for row in ws.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2):
            out.extend(row)
    return out
