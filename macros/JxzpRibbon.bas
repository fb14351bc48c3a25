Attribute VB_Name = "JxzpRibbon"
' Ribbon callbacks of the jxzp add-in (tab in macros/customUI14.xml).
' Each callback only hands over to Python (addin/ribbon.py), which does the work and
' shows its own messages. RunPython needs an active workbook: with none open, open a
' blank one first so Python can answer instead of VBA stopping with error 91.
' Keep this module tiny: VBA compile errors only show inside Excel.
Option Explicit

Public Sub JxzpNewWorkbook(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then Workbooks.Add
    RunPython "import addin.ribbon as r; r.new_workbook()"
End Sub

Public Sub JxzpNextYear(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then Workbooks.Add
    RunPython "import addin.ribbon as r; r.next_year()"
End Sub

Public Sub JxzpValidate(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then Workbooks.Add
    RunPython "import addin.ribbon as r; r.validate()"
End Sub

Public Sub JxzpClearMarks(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then Workbooks.Add
    RunPython "import addin.ribbon as r; r.clear_marks()"
End Sub

Public Sub JxzpGenerateReport(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then Workbooks.Add
    RunPython "import addin.ribbon as r; r.generate_report()"
End Sub

Public Sub JxzpPrepareSend(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then Workbooks.Add
    RunPython "import addin.ribbon as r; r.prepare_send()"
End Sub

Public Sub JxzpAbout(control As IRibbonControl)
    If ActiveWorkbook Is Nothing Then Workbooks.Add
    RunPython "import addin.ribbon as r; r.about()"
End Sub
