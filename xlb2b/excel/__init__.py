"""Excel rendering: sheet layouts, renderers (file rows, live workbook), merge into and fill of a user's file.

Layouts: analysis, ADP, planning and toolkit sheets; renderers: fast XlsxWriter rows, a layout
replayed into an open workbook; the package-level merge and the template fill.
"""
