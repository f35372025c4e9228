"""xlb2b: B2B client-base analytics and key-account planning for Excel.

The core never imports xlwings and runs under Pyodide (xlwings Lite).
"""

from xlb2b.errors import InputError, Problem, Report
from xlb2b.inputs.tables import InputTable
from xlb2b.pipeline import Analysis, analyze
from xlb2b.settings import Settings

__version__ = "0.1.0"
__all__ = [
    "Analysis",
    "InputError",
    "InputTable",
    "Problem",
    "Report",
    "Settings",
    "analyze",
    "read_clients",
    "read_market",
    "read_transactions",
    "__version__",
]


def __getattr__(name):
    if name in ("read_transactions", "read_clients", "read_market", "read_table"):
        from xlb2b import inputs

        return getattr(inputs, name)
    raise AttributeError(f"module 'xlb2b' has no attribute {name!r}")
