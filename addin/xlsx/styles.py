"""Cell styles shared by the template and the annotated copies."""
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

FONT_NAME = "宋体"
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

TITLE_FONT = Font(name=FONT_NAME, size=14, bold=True)
HEADER_FONT = Font(name=FONT_NAME, size=10.5, bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
SECTION_FONT = Font(name=FONT_NAME, size=10.5, bold=True)
SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
BODY_FONT = Font(name=FONT_NAME, size=10.5)
NOTE_FONT = Font(name=FONT_NAME, size=9.5, color="595959")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # light yellow: type here
CALC_FILL = PatternFill("solid", fgColor="E2EFDA")  # light green: computed, locked
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)
WRAP = Alignment(wrap_text=True, vertical="center")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

# finding marks (校验)
SEVERITY_FILLS = {
    "错误": PatternFill("solid", fgColor="FFC7CE"),
    "警告": PatternFill("solid", fgColor="FFEB9C"),
    "提示": PatternFill("solid", fgColor="DDEBF7"),
}

FMT_AMOUNT = "#,##0.00"
FMT_RATE = "0.00%"
FMT_COUNT = "0"
FMT_SCORE = "0.0#"
FMT_TEXT = "@"
