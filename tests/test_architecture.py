"""The library stays a library: nothing in energy/ imports the web or database layers."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = {"api", "fastapi", "sqlmodel", "sqlalchemy", "celery", "starlette", "uvicorn"}
ENERGY = Path(__file__).resolve().parent.parent / "energy"


def test_energy_does_not_import_web_or_db_packages() -> None:
    offenders = []
    for path in ENERGY.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
    assert any(ENERGY.rglob("*.py"))
