"""The house plan (docs/architecture.md): layers, no upward imports, no cycles.

Imports are read with :mod:`ast` from the source, at every depth: an import
inside a function or under ``if TYPE_CHECKING:`` counts like one at the top,
since it ties the two modules together all the same. A package's
``__init__`` that imports its own modules is not an edge: that is how
packages are made.

energy/ is a stack of layers (:data:`ENERGY_LAYERS`, bottom first): a module
may import modules of its own package or of a lower layer, never of its own
layer's other packages or of a higher one. Every module must be placed in a
layer, so that a new module is placed on purpose (and in docs/architecture.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
ROUTERS = "api.routers"
#: Packages the library never imports (it stays a library: no web, no database, no queue).
FORBIDDEN_IN_ENERGY = {"api", "fastapi", "sqlmodel", "sqlalchemy", "celery", "starlette", "uvicorn"}

#: The layers of energy/, bottom first: (layer name, module prefixes). A prefix
#: names a module or a package (``energy.models`` covers ``energy.models.pv``).
ENERGY_LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("errors", ("energy.errors",)),
    ("foundation", ("energy.timeindex", "energy.progress", "energy.serialise")),
    ("spec base", ("energy.spec_base",)),
    (
        "spec extensions",
        ("energy.district_flex", "energy.district_geometry", "energy.district_lighting"),
    ),
    ("spec", ("energy.district",)),
    ("spec changes", ("energy.variants",)),
    ("spec import", ("energy.geometry",)),
    ("physical models", ("energy.models",)),
    ("system", ("energy.system",)),
    ("engines", ("energy.optimisation", "energy.kpi", "energy.baselines")),
    ("grid status", ("energy.grid_status", "energy.ac_check")),
    ("scenario", ("energy.scenario",)),
    ("forecasts", ("energy.forecasts",)),
    ("operation", ("energy.operation",)),
    ("report", ("energy.report",)),
    ("analysis", ("energy.analysis",)),
    ("studies", ("energy.studies",)),
    ("command line", ("energy.cli",)),
)


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


def imports_of(path: Path, module: str) -> set[str]:
    """Return every dotted name ``module`` (at ``path``) imports, at any depth."""
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update(_imported_names(module, is_package, node))
    return names


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
        deps: set[str] = set()
        for name in imports_of(path, module):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                deps.add(name)
        own = path.name == "__init__.py"
        graph[module] = {d for d in deps if not (own and d.startswith(module + "."))}
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


def place(module: str, layers: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[int, str] | None:
    """Return ``(layer rank, package prefix)`` of ``module``, or None if it has no layer."""
    for rank, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                return rank, prefix
    return None


def layer_violations(
    graph: dict[str, set[str]],
    layers: tuple[tuple[str, tuple[str, ...]], ...] = ENERGY_LAYERS,
    top: str = "energy",
) -> list[str]:
    """Return one sentence per module without a layer and per import that is not downward."""
    found = []
    for module in sorted(graph):
        if module == top:
            continue  # the package's own __init__ (errors and version)
        here = place(module, layers)
        if here is None:
            found.append(f"{module} has no layer: place it in ENERGY_LAYERS and the docs")
            continue
        for dep in sorted(graph[module]):
            there = place(dep, layers)
            if there is None or there[1] == here[1]:
                continue
            if there[0] >= here[0]:
                what = "its own layer" if there[0] == here[0] else "a higher layer"
                found.append(
                    f"{module} ({layers[here[0]][0]}) imports {dep} ({layers[there[0]][0]}): {what}"
                )
    return found


def test_energy_does_not_import_web_or_db_packages() -> None:
    offenders = [
        f"{module} imports {name}"
        for module, path in modules_of(ROOT, "energy").items()
        for name in imports_of(path, module)
        if name.split(".")[0] in FORBIDDEN_IN_ENERGY
    ]
    assert offenders == []


def test_energy_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, "energy")
    assert len(graph) > 60 and "energy.system" in graph["energy.optimisation.model"]
    assert cycles(graph) == []


def test_energy_imports_only_downward() -> None:
    assert layer_violations(import_graph(ROOT, "energy")) == []


def test_api_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, "api")
    assert len(graph) > 30 and graph["api.worker"] >= {"api.jobs", "api.celery_app"}
    assert cycles(graph) == []


def test_routers_do_not_import_other_routers() -> None:
    graph = import_graph(ROOT, "api")
    assert sum(m.startswith(ROUTERS + ".") for m in graph) >= 9
    assert router_imports(graph) == []


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_the_checks_see_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    """A made-up package with a cycle and a router import, both hidden inside functions."""
    _write(
        tmp_path,
        {
            "api/__init__.py": "",
            "api/a.py": "def f():\n    from api.b import g\n    return g\n",
            "api/b.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
            ),
            "api/c.py": "import api.a\n",
            "api/routers/__init__.py": "",
            "api/routers/x.py": "def h():\n    from api.routers import y\n    return y\n",
            "api/routers/y.py": "from ..c import api\n",
            "api/pkg/__init__.py": "from api.pkg import part\n",
            "api/pkg/part.py": "from api.pkg import __name__\n",
        },
    )
    graph = import_graph(tmp_path, "api")
    assert graph["api.routers.y"] == {"api.c"}
    assert graph["api.pkg"] == set() and graph["api.pkg.part"] == {"api.pkg"}
    assert cycles(graph) == [["api.a", "api.b"]]
    assert router_imports(graph) == ["api.routers.x imports api.routers.y"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # models importing the optimiser: upward, even inside a function
        (
            {"energy/models/pv.py": "def f():\n    from energy.optimisation import solve\n"},
            [
                "energy.models.pv (physical models) imports energy.optimisation (engines): "
                "a higher layer",
                "energy.models.pv (physical models) imports energy.optimisation.solve "
                "(engines): a higher layer",
            ],
        ),
        # kpi and the optimiser share a layer: neither may import the other
        (
            {"energy/kpi.py": "from energy.optimisation.solve import x\n"},
            ["energy.kpi (engines) imports energy.optimisation.solve (engines): its own layer"],
        ),
        # a new top-level module must be given a layer
        ({"energy/newthing.py": "import energy.errors\n"}, ["energy.newthing has no layer: "]),
        # downward imports and imports within one package are fine
        (
            {
                "energy/optimisation/solve.py": "from energy.system import X\n"
                "from energy.optimisation import model\n",
                "energy/cli/main.py": "from energy.studies import sweep\n",
            },
            [],
        ),
    ],
)
def test_the_layer_check_fails_on_an_upward_import(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    base = {
        "energy/__init__.py": "from energy.errors import E\n",
        "energy/errors.py": "",
        "energy/system.py": "",
        "energy/kpi.py": "",
        "energy/models/__init__.py": "",
        "energy/models/pv.py": "",
        "energy/optimisation/__init__.py": "",
        "energy/optimisation/model.py": "",
        "energy/optimisation/solve.py": "",
        "energy/studies/__init__.py": "",
        "energy/studies/sweep.py": "",
        "energy/cli/__init__.py": "",
        "energy/cli/main.py": "",
    }
    _write(tmp_path, base | files)
    found = layer_violations(import_graph(tmp_path, "energy"))
    assert len(found) == len(expected)
    for sentence, start in zip(found, expected, strict=True):
        assert sentence.startswith(start)


def test_the_check_finds_a_cycle_in_energy(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "energy/__init__.py": "",
            "energy/district.py": "from energy.district_flex import X\n",
            "energy/district_flex.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from energy.district import Building\n",
        },
    )
    graph = import_graph(tmp_path, "energy")
    assert cycles(graph) == [["energy.district", "energy.district_flex"]]
    assert layer_violations(graph) == [
        "energy.district_flex (spec extensions) imports energy.district (spec): a higher layer"
    ]
