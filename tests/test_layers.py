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
    "deskui.services.seed", "deskui.cli",
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
    code = "import deskui, deskui.cli, deskui.store.models, deskui.services.tickets"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                   env={"DESKUI_DATA_DIR": str(tmp_path / "data"), "PATH": ""})
    assert not (tmp_path / "data").exists()
