"""The layout of api/: no import cycle, and no router that imports another router.

Imports are read with :mod:`ast` from the source, at every depth: an import
inside a function or under ``if TYPE_CHECKING:`` counts like one at the top,
since it ties the two modules together all the same. A package's
``__init__`` that imports its own modules (``api.crud`` does, so that
``crud.<resource>`` works) is not an edge: that is how packages are made.

Self-contained (standard library only, the repository root found from this
file), so the tests and helpers can move into tests/test_architecture.py as
they are.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
ROUTERS = "api.routers"


def modules_of(root: Path, package: str) -> dict[str, Path]:
    """Return every module of ``package`` below ``root`` by dotted name (packages by their own)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imported_names(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Return the dotted names an import statement may refer to (relative ones resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Return, for every module of ``package``, the modules of ``package`` it imports.

    A name is mapped to the longest module it starts with (``from api.crud
    import runs`` is ``api.crud.runs``, ``from api.jobs import execute_run``
    is ``api.jobs``). Imports of a package's own submodules by its
    ``__init__`` are left out.
    """
    modules = modules_of(root, package)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _imported_names(module, is_package, node):
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    deps.add(name)
        graph[module] = {d for d in deps if not (is_package and d.startswith(module + "."))}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the import cycles of ``graph``: its strongly connected components of 2+ modules.

    Tarjan's algorithm (R. Tarjan, "Depth-first search and linear graph
    algorithms", SIAM J. Comput. 1 (1972) 146-160, doi:10.1137/0201010).
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in sorted(graph.get(node, ())):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def router_imports(graph: dict[str, set[str]], routers: str = ROUTERS) -> list[str]:
    """Return ``"<router> imports <router>"`` for every router importing another one."""
    prefix = routers + "."
    return sorted(
        f"{module} imports {dep}"
        for module, deps in graph.items()
        if module.startswith(prefix)
        for dep in deps
        if dep.startswith(prefix)
    )


def test_api_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, "api")
    assert len(graph) > 30 and graph["api.worker"] >= {"api.jobs", "api.celery_app"}
    assert cycles(graph) == []


def test_routers_do_not_import_other_routers() -> None:
    graph = import_graph(ROOT, "api")
    assert sum(m.startswith(ROUTERS + ".") for m in graph) >= 9
    assert router_imports(graph) == []


def test_the_checks_see_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    """A made-up package with a cycle and a router import, both hidden inside functions."""
    files = {
        "api/__init__.py": "",
        "api/a.py": "def f():\n    from api.b import g\n    return g\n",
        "api/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
        "api/c.py": "import api.a\n",
        "api/routers/__init__.py": "",
        "api/routers/x.py": "def h():\n    from api.routers import y\n    return y\n",
        "api/routers/y.py": "from ..c import api\n",
        "api/pkg/__init__.py": "from api.pkg import part\n",
        "api/pkg/part.py": "from api.pkg import __name__\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path, "api")
    assert graph["api.routers.y"] == {"api.c"}
    assert graph["api.pkg"] == set() and graph["api.pkg.part"] == {"api.pkg"}
    assert cycles(graph) == [["api.a", "api.b"]]
    assert router_imports(graph) == ["api.routers.x imports api.routers.y"]
