"""Scripts behind the buttons (ribbon, task pane, sheet buttons).

Each takes the workbook (``book: xw.Book``) and works on it in place."""
from __future__ import annotations

import xlwings as xw

#: button tag -> script name (the ribbon, the Lite buttons and the Server
#: manifest use the same tags)
BUTTONS: dict[str, str] = {
    "analyze": "analyze_client_base",
    "adp": "build_adp",
    "adp_a": "build_adps_a",
    "bcg": "add_bcg_scoring",
    "checklist": "add_progress_checklist",
    "refresh": "refresh",
    "settings": "open_settings",
    "help": "show_help",
}
