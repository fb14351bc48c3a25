"""Edit workbooks as a LibreOffice user would, headless, through UNO; one LibreOffice for a batch of jobs.

Run with the Debian interpreter that has python3-uno:  /usr/bin/python3 lo_uno_ops.py JOBS.json PROFILE_DIR
JOBS.json: [{"in": path, "out": path, "ops": [{"op": "insert_rows", "sheet": "…", "row": 5, "count": 2}, …]}, …]
Ops: insert_rows, delete_rows, set, fill, comment, rich, shape, image, chart, extlink. Rows/cells are 1-based / A1.
Every job's file is loaded, edited, saved as .xlsx ("Calc MS Excel 2007 XML") and closed.
"""
import json
import os
import subprocess
import sys
import time
import uuid

import uno  # noqa: F401 - provided by python3-uno
from com.sun.star.awt import Point, Size
from com.sun.star.beans import PropertyValue
from com.sun.star.table import CellAddress, CellRangeAddress


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(profile):
    pipe = "jxzp_" + uuid.uuid4().hex[:12]
    proc = subprocess.Popen(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--invisible",
                             "--norestore", "--nologo", "--nodefault", f"--accept=pipe,name={pipe};urp;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            return proc, ctx, desktop
        except Exception:
            time.sleep(0.25)
    proc.kill()
    raise SystemExit("LibreOffice did not start")


def cell_pos(a1):
    col = 0
    i = 0
    while a1[i].isalpha():
        col = col * 26 + ord(a1[i].upper()) - 64
        i += 1
    return col - 1, int(a1[i:]) - 1


def run_job(desktop, job):
    src = os.path.abspath(job["in"])
    lock = os.path.join(os.path.dirname(src), ".~lock." + os.path.basename(src) + "#")
    if os.path.exists(lock):  # left by a killed LibreOffice: it would make loading fail silently
        os.remove(lock)
    url = uno.systemPathToFileUrl(src)
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True),))
    sheets = doc.Sheets
    for op in job.get("ops", []):
        kind = op["op"]
        sh = sheets.getByName(op["sheet"]) if "sheet" in op else None
        idx = None
        if sh is not None:
            for i in range(sheets.Count):
                if sheets.getByIndex(i).Name == op["sheet"]:
                    idx = i
        was = sh is not None and sh.isProtected()
        if was:  # a user lifts the (password-less) protection to edit; so does this script
            sh.unprotect("")
        do_op(doc, sh, idx, op)
        if was:
            sh.protect("")
    out = os.path.abspath(job["out"])
    doc.storeToURL(uno.systemPathToFileUrl(out), (prop("FilterName", "Calc MS Excel 2007 XML"),))
    doc.close(True)


def do_op(doc, sh, idx, op):
    kind = op["op"]
    if True:
        if kind in ("insert_rows", "delete_rows"):
            rows = sh.Rows
            if kind == "insert_rows":
                rows.insertByIndex(op["row"] - 1, op.get("count", 1))
            else:
                rows.removeByIndex(op["row"] - 1, op.get("count", 1))
        elif kind == "set":
            c = sh.getCellRangeByName(op["cell"])
            v = op["value"]
            if isinstance(v, str) and v.startswith("="):
                c.setFormula(v)
            elif isinstance(v, str):
                c.setString(v)
            else:
                c.setValue(v)
        elif kind == "fill":
            sh.getCellRangeByName(op["cell"]).CellBackColor = int(op["rgb"], 16)
        elif kind == "comment":
            col, row = cell_pos(op["cell"])
            a = CellAddress()
            a.Sheet, a.Column, a.Row = idx, col, row
            sh.getAnnotations().insertNew(a, op["text"])
        elif kind == "rich":
            c = sh.getCellRangeByName(op["cell"])
            c.setString(op["text"])
            cur = c.createTextCursor()
            cur.gotoStart(False)
            cur.goRight(op.get("n", 2), True)
            cur.CharWeight = 150.0  # bold
            cur.CharColor = 0xFF0000
        elif kind == "shape":
            dp = sh.getDrawPage()
            shape = doc.createInstance("com.sun.star.drawing.RectangleShape")
            shape.Position, shape.Size = Point(1000, 1000), Size(4000, 2000)
            dp.add(shape)
            shape.setString(op.get("text", "审核章"))
        elif kind == "image":
            dp = sh.getDrawPage()
            g = doc.createInstance("com.sun.star.drawing.GraphicObjectShape")
            provider = desktop_ctx.ServiceManager.createInstanceWithContext(
                "com.sun.star.graphic.GraphicProvider", desktop_ctx)
            g.Graphic = provider.queryGraphic((prop("URL", uno.systemPathToFileUrl(op["path"])),))
            g.Position, g.Size = Point(6000, 1000), Size(2000, 2000)
            dp.add(g)
        elif kind == "chart":
            r = CellRangeAddress()
            r.Sheet = idx
            c1, r1 = cell_pos(op["range"].split(":")[0])
            c2, r2 = cell_pos(op["range"].split(":")[1])
            r.StartColumn, r.StartRow, r.EndColumn, r.EndRow = c1, r1, c2, r2
            rect = uno.createUnoStruct("com.sun.star.awt.Rectangle")
            rect.X, rect.Y, rect.Width, rect.Height = 12000, 1000, 8000, 5000
            sh.getCharts().addNewByName(op.get("name", "jxzp_test_chart"), rect, (r,), True, True)
        elif kind == "extlink":
            other = uno.systemPathToFileUrl(os.path.abspath(op["file"]))
            sh.getCellRangeByName(op["cell"]).setFormula(f"='{other}'#$Sheet1.A1")
        else:
            raise SystemExit(f"unknown op {kind}")


def main():
    global desktop_ctx
    jobs = json.load(open(sys.argv[1], encoding="utf-8"))
    proc, desktop_ctx, desktop = connect(sys.argv[2])
    failed = []
    try:
        for job in jobs:
            try:
                run_job(desktop, job)
            except Exception as e:  # report and go on: one broken job must not hide the others
                failed.append(f"{job['out']}: {type(e).__name__}: {e}")
    finally:
        try:
            desktop.terminate()
        except Exception:
            pass
        try:
            proc.wait(timeout=30)
        except Exception:
            proc.kill()
    if failed:
        print("\n".join(failed), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
