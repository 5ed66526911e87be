"""Dependencies run one way: connectors -> metrics <- carepulse -> views."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "metrics": {"streamlit", "plotly", "sqlalchemy", "carepulse", "connectors", "views"},
    "connectors": {"streamlit", "plotly", "sqlalchemy", "carepulse", "views"},
    "carepulse": {"views"},
}
# The database connector reads a *source* database through SQLAlchemy; nothing else may.
ALLOWED = {"connectors/database.py": {"sqlalchemy"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downstream(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package} has no modules"
    for path in files:
        allowed = ALLOWED.get(path.relative_to(ROOT).as_posix(), set())
        bad = _imports(path) & FORBIDDEN[package] - allowed
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_there_is_no_pages_folder_beside_the_entry_point():
    # Streamlit runs a file in a `pages/` folder directly when a fresh server's first visitor
    # opens its URL, skipping app.py (its navigation, header, error handler and sign-in).
    root = Path(__file__).resolve().parents[1]
    assert (root / "app.py").is_file() and not (root / "pages").exists()
