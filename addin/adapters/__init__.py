"""Adapters between live spreadsheets and the core.

xlwings_book: a workbook open in Excel (through xlwings) -> BookData, and 校验 marks back.
offline: the small part of xlwings' Book API that xlwings_book uses, over an .xlsx file
(openpyxl), so the ribbon's jobs run and are tested without Excel.
"""
