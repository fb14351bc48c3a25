#!/usr/bin/python3
"""Edit cells in LibreOffice headless through UNO, recalculate, read results; one soffice for all.

Runs under the interpreter that has python3-uno (Debian's /usr/bin/python3), so it imports
nothing from jxzp. Request (JSON file, argv[1]):

    {"soffice": "soffice", "profile": "/tmp/unique",
     "jobs": [{"file": "/abs/book.xlsx", "unprotect": true,
               "read": [["Sheet", "B5"], ...],
               "sets": [{"clear": [["Sheet", "B4:G30"]], "set": [["Sheet", "B3", "num"|"text"|"formula"|"blank", v]]}],
               "save_as": "/abs/out.xlsx"}]}

Answer (JSON on stdout): {"jobs": [{"results": [[[kind, value], ...] per set]}]} with kind
"num", "text" or "error" (value: the Excel error literal).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import uno  # noqa: F401  (python3-uno)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

# LibreOffice error codes -> the literal Excel shows (and jxzp's core names)
ERRORS = {532: "#DIV/0!", 32767: "#N/A", 525: "#NAME?", 519: "#VALUE!", 524: "#REF!", 503: "#NUM!",
          502: "#NUM!", 504: "#VALUE!", 521: "#NULL!"}
CLEAR_ALL = 1 | 2 | 4 | 16  # VALUE | DATETIME | STRING | FORMULA


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _connect(pipe: str, proc, timeout: float = 90.0):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    end = time.time() + timeout
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if proc.poll() is not None or time.time() > end:
                raise RuntimeError("LibreOffice did not start") from None
            time.sleep(0.3)


def _url(path: str) -> str:
    return uno.systemPathToFileUrl(os.path.abspath(path))


def _read(cell):
    err = cell.getError()
    if err:
        return ["error", ERRORS.get(err, f"Err:{err}")]
    if cell.getType().value == "TEXT" or (cell.getType().value == "FORMULA" and cell.FormulaResultType2 == 2):
        return ["text", cell.getString()]
    if cell.getType().value == "EMPTY":
        return ["blank", None]
    return ["num", cell.getValue()]


def _set(cell, kind, value):
    if kind == "num":
        cell.setValue(float(value))
    elif kind == "text":
        cell.setString(str(value))
    elif kind == "formula":
        cell.setFormula(str(value))
    else:
        cell.clearContents(CLEAR_ALL)


def run_job(desktop, job) -> dict:
    doc = desktop.loadComponentFromURL(_url(job["file"]), "_blank", 0, (_prop("Hidden", True),))
    try:
        sheets = doc.getSheets()
        if job.get("unprotect"):
            for i in range(sheets.getCount()):
                sh = sheets.getByIndex(i)
                if sh.isProtected():
                    sh.unprotect("")
        cache = {}

        def cell(sheet, coord):
            key = (sheet, coord)
            if key not in cache:
                cache[key] = sheets.getByName(sheet).getCellRangeByName(coord)
            return cache[key]

        results = []
        doc.enableAutomaticCalculation(False)
        for s in job.get("sets", []):
            for sheet, ref in s.get("clear", []):
                sheets.getByName(sheet).getCellRangeByName(ref).clearContents(CLEAR_ALL)
            for sheet, coord, kind, value in s.get("set", []):
                _set(cell(sheet, coord), kind, value)
            doc.calculateAll()
            results.append([_read(cell(sh, co)) for sh, co in job.get("read", [])])
        doc.enableAutomaticCalculation(True)
        if job.get("save_as"):
            doc.storeToURL(_url(job["save_as"]), (_prop("FilterName", "Calc MS Excel 2007 XML"),))
        return {"results": results}
    finally:
        doc.close(True)


def main() -> int:
    req = json.load(open(sys.argv[1], encoding="utf-8"))
    pipe = "jxzp_" + uuid.uuid4().hex
    proc = subprocess.Popen([req.get("soffice", "soffice"), "--headless", "--invisible", "--nologo", "--norestore",
                             "--nodefault", "--nolockcheck", f"-env:UserInstallation={_url(req['profile'])}",
                             f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        desktop = _connect(pipe, proc)
        out = {"jobs": [run_job(desktop, job) for job in req["jobs"]]}
        try:
            desktop.terminate()
        except Exception:  # noqa: BLE001 - the bridge drops while soffice exits
            pass
        json.dump(out, sys.stdout, ensure_ascii=False)
        return 0
    finally:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
