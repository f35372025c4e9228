"""The package layout shows the layers: no module imports from a layer above its own, no import cycles,
and every module opens with one line saying what it holds."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: lowest first; a module may import only from its own layer or a lower one
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("xlb2b.errors", "xlb2b.io_util", "xlb2b.locale", "xlb2b.settings", "xlb2b.settings_toml")),
    ("inputs", ("xlb2b.inputs",)),
    ("analysis", ("xlb2b.analysis",)),
    ("planning", ("xlb2b.planning",)),
    ("pipeline", ("xlb2b.pipeline",)),
    ("excel", ("xlb2b.excel",)),
    ("front doors", ("xlb2b.sample", "xlb2b.cli", "xlb2b", "udfs")),
]


def _layer(module: str) -> int | None:
    best, depth = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and p.count(".") > depth:
                best, depth = i, p.count(".")
    return best


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("xlb2b", "udfs"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(module: str, path: Path, *, top_level_only: bool = False) -> list[tuple[str, int]]:
    """Every xlb2b/udfs module that ``module`` imports (absolute or relative), with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # "from xlb2b import inputs" imports the submodule
            found += [(f"{target}.{a.name}", node.lineno) for a in node.names if f"{target}.{a.name}" in MODULES]
    return [(t, line) for t, line in found if t.split(".")[0] in ("xlb2b", "udfs")]


def test_the_layers_cover_every_module():
    assert [m for m in MODULES if _layer(m) is None] == []


def test_no_module_imports_from_a_layer_above_its_own():
    bad = []
    for module, path in MODULES.items():
        own = _layer(module)
        for target, line in _imports(module, path):
            if target == "xlb2b":   # the package root: importing any submodule runs it anyway
                continue
            layer = _layer(target)
            if layer is not None and layer > own:
                bad.append(f"{path.relative_to(ROOT)}:{line} ({LAYERS[own][0]}) imports {target} "
                           f"({LAYERS[layer][0]})")
    assert bad == []


def test_the_core_never_imports_xlwings():
    bad = []
    for module, path in MODULES.items():
        if module.startswith("xlb2b"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                bad += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.split(".")[0] == "xlwings"]
    assert bad == []


def test_no_import_cycles_at_module_level():
    graph = {m: {t for t, _ in _imports(m, p, top_level_only=True) if t in MODULES and t != m}
             for m, p in MODULES.items()}
    # a package's __init__ importing its own submodules is how re-exports work: not a cycle
    for m in graph:
        graph[m] = {t for t in graph[m] if not (t.startswith(m + ".") and MODULES[m].name == "__init__.py")}
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(" -> ".join(stack[stack.index(t):] + [t]))
            elif t not in state:
                visit(t, stack + [t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_opens_with_one_line_saying_what_it_holds(module):
    doc = ast.get_docstring(ast.parse(MODULES[module].read_text(encoding="utf-8")), clean=False)
    assert doc, f"{module} has no docstring"
    first, _, rest = doc.partition("\n")
    assert first.strip() and first == first.strip(), f"{module}: the first line must hold the summary"
    assert rest == "" or rest.startswith("\n"), f"{module}: the summary must be one line, then a blank line"
    assert first.rstrip().endswith((".", ":")), f"{module}: the summary line must be a sentence"
