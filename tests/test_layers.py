"""Layer rules (DESIGN.md §1): the core never imports the UI; importing is cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "deskui"


def _modules_loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", [
    "deskui.domain.sla", "deskui.domain.query", "deskui.store.db", "deskui.store.queue", "deskui.services.tickets",
    "deskui.services.seed", "deskui.cli.main",
])
def test_core_and_cli_never_import_textual(module):
    loaded = _modules_loaded_by(f"import {module}")
    assert "textual" not in loaded


def test_store_and_services_do_not_import_rich():
    loaded = _modules_loaded_by("import deskui.store.queue, deskui.services.tickets, deskui.services.sla")
    assert "rich" not in loaded


def test_help_does_not_import_textual():
    code = ("import sys; sys.argv = ['deskui', '--help']\n"
            "from deskui.start import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('TEXTUAL' if 'textual' in sys.modules else 'CLEAN')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("CLEAN")


def test_domain_imports_only_itself_and_stdlib():
    allowed_third_party = {"holidays"}
    for path in (PACKAGE / "domain").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top == "deskui":
                    assert name.startswith("deskui.domain"), f"{path.name} imports {name}"
                else:
                    assert top in sys.stdlib_module_names or top in allowed_third_party, f"{path.name} imports {name}"


def test_importing_deskui_creates_no_files(tmp_path):
    code = "import deskui, deskui.cli.main, deskui.store.models, deskui.services.tickets"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                   env={"DESKUI_DATA_DIR": str(tmp_path / "data"), "PATH": ""})
    assert not (tmp_path / "data").exists()


# ---------------------------------------------------------------- every module, every import

TUI_MAY_IMPORT = ("deskui.tui", "deskui.reads", "deskui.services", "deskui.domain", "deskui.store.records",
                  "deskui.errors", "deskui.clock", "deskui.config", "deskui.resources")


def _all_modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        found[name] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (lazy imports too), made absolute."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            out.add(base)
            if base.split(".")[0] == "deskui":  # "from deskui.store import records" imports a module
                out |= {f"{base}.{alias.name}" for alias in node.names}
    return out


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _layer_violation(module: str, imported: str) -> str | None:
    """Why ``module`` may not import ``imported`` (DESIGN.md §1), or None."""
    top = imported.split(".")[0]
    ui = ("textual", "rich")
    orm = ("sqlalchemy", "sqlmodel")
    if _under(module, "deskui.domain"):
        if top == "deskui" and not _under(imported, "deskui.domain"):
            return "domain imports nothing of deskui outside domain"
        if top != "deskui" and top not in sys.stdlib_module_names and top != "holidays":
            return "domain imports only the standard library (and holidays)"
    elif _under(module, "deskui.store"):
        if _under(imported, "deskui.services", "deskui.reads", "deskui.tui", "deskui.cli", "deskui.start") or top in ui:
            return "store never imports services, reads, tui, cli or a UI library"
    elif _under(module, "deskui.reads"):
        if _under(imported, "deskui.services", "deskui.tui", "deskui.cli", "deskui.start") or top in ui:
            return "reads never imports services, tui, cli or a UI library"
    elif _under(module, "deskui.services"):
        if _under(imported, "deskui.reads", "deskui.tui", "deskui.cli", "deskui.start") or top in ui:
            return "services never import reads, tui, cli or a UI library"
    elif _under(module, "deskui.tui"):
        if top in orm:
            return "tui never imports SQLAlchemy or sqlmodel"
        if top == "deskui" and imported != "deskui" and not _under(imported, *TUI_MAY_IMPORT):
            return "tui imports the read side, services, domain and store records only"
    elif _under(module, "deskui.cli"):
        if _under(imported, "deskui.store") and not _under(imported, "deskui.store.db", "deskui.store.records"):
            return "cli reads through deskui.reads and writes through services (store: db and records only)"
        if top in orm:
            return "cli never imports SQLAlchemy or sqlmodel"
    return None


def layer_violations() -> set[str]:
    found = set()
    modules = _all_modules()
    for name, path in modules.items():
        for imported in _imports(name, path):
            if _under(imported, "deskui") and imported not in modules:
                continue  # a name imported from a module, not a module
            if True:
                why = _layer_violation(name, imported)
                if why:
                    found.add(f"{name} -> {imported}: {why}")
    return found


# Violations still being moved out (issue 11): each lane removes its lines; the
# list must end empty. A new violation fails the test.


def test_every_module_keeps_to_its_layer():
    assert layer_violations() == set()


def _cycles() -> list[list[str]]:
    modules = _all_modules()
    graph = {name: {m for m in _imports(name, path) if m in modules and m != name} for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    assert _cycles() == []


def test_the_layer_rules_catch_what_they_should():
    assert _layer_violation("deskui.tui.screens.queue", "deskui.store.queue_live")
    assert _layer_violation("deskui.tui.screens.queue", "deskui.store.records") is None
    assert _layer_violation("deskui.domain.sla", "sqlalchemy")
    assert _layer_violation("deskui.store.db", "deskui.services.tickets")
    assert _layer_violation("deskui.services.tickets", "rich.text")
    assert _layer_violation("deskui.cli.tickets", "deskui.store.models")
    assert _layer_violation("deskui.reads.queue", "deskui.services.tickets")
