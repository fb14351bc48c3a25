"""openpyxl side: generate the template, read a workbook into BookData, write copies."""
