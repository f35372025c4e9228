"""The wheel carries the Excel front doors (udfs and its add-in, Lite and
Server files), not only the core: a pip-installed xlb2b serves
UDF_MODULES=udfs.functions and the ribbon's udfs.ribbon.dispatch.

The wheel is built from a copy of the sources (setuptools writes build/ and
*.egg-info next to pyproject.toml) with pip's build isolation: pip installs
the build backend pyproject.toml asks for from the configured index."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EXPECTED = [
    "xlb2b/cli/parser.py", "xlb2b/locales/en.toml", "xlb2b/inputs/read.py", "xlb2b/inputs/sources/csv.py",
    "xlb2b/analysis/metrics.py", "xlb2b/planning/forecast.py", "xlb2b/excel/merge.py",
    "udfs/__init__.py", "udfs/functions.py", "udfs/convert.py", "udfs/scripts.py", "udfs/ribbon.py",
    "udfs/addin/__init__.py", "udfs/addin/build.py", "udfs/addin/wrappers.py", "udfs/addin/xlb2b.bas",
    "udfs/addin/customUI.xml",
    "udfs/lite/__init__.py", "udfs/lite/main.py", "udfs/lite/build.py", "udfs/lite/requirements.txt",
    "udfs/server/__init__.py", "udfs/server/custom_functions/__init__.py",
    "udfs/server/custom_scripts/__init__.py", "udfs/server/manifest_ribbon.xml", "udfs/server/ribbon.js",
]


def test_wheel_contains_the_front_doors_and_their_data_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for pkg in ("xlb2b", "udfs"):
        shutil.copytree(ROOT / pkg, src / pkg, ignore=ignore)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q",
                          "-w", str(tmp_path / "dist")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    wheels = list((tmp_path / "dist").glob("xlb2b-*.whl"))
    assert len(wheels) == 1 and wheels[0].name.endswith("-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    missing = [n for n in EXPECTED if n not in names]
    assert missing == []
    assert not any(n.startswith("tests/") for n in names)
