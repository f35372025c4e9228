Attribute VB_Name = "xlb2b"
' xlb2b ribbon: every button of the "B2B" tab calls B2BButton with its tag.
' The Python side (udfs.ribbon.dispatch) maps the tag to a script of
' udfs.scripts and runs it on the calling workbook through the xlwings add-in.
Option Explicit

Public Sub B2BButton(control As IRibbonControl)
    On Error GoTo NoXlwings
    Application.Run "xlwings.xlam!RunPython", _
        "import udfs.ribbon; udfs.ribbon.dispatch('" & control.Tag & "')"
    Exit Sub
NoXlwings:
    MsgBox "xlb2b needs the xlwings add-in (xlwings.xlam): run 'xlwings addin install' " & _
        "in a terminal, then restart Excel." & vbCrLf & vbCrLf & _
        "Error " & Err.Number & ": " & Err.Description, vbExclamation, "xlb2b"
End Sub
