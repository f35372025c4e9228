"""Excel rendering: sheet layouts (analysis, ADP, planning, toolkit), renderers (file rows, live workbook), merge into a user's file."""
