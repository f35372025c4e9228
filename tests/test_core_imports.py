"""The core must import under Pyodide (xlwings Lite): no xlwings, no compiled
extras at import time."""
import subprocess
import sys


def test_core_imports_without_excel_runtimes_or_compiled_extras():
    code = (
        "import sys, xlb2b, xlb2b.pipeline, xlb2b.inputs, xlb2b.planning.portfolio, xlb2b.analysis.portrait, "
        "xlb2b.analysis.satisfaction, xlb2b.sample, xlb2b.settings, xlb2b.locale\n"
        "bad = [m for m in ('xlwings', 'python_calamine', 'xlsxwriter', 'formulas', 'tqdm') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
