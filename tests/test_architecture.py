"""The package's shape: data flows one way, and one registry lists the model kinds.

Read from the source with ``ast`` (nothing is imported but the registry), so a new import that
runs back up the pipeline, or a second hand-typed list of modality or fusion names, fails here.
"""

import ast
from pathlib import Path

import pytest

from emotion_classifier import registry

PACKAGE = Path(__file__).resolve().parents[1] / "emotion_classifier"
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "labels", "files", "registry", "bundles", "cluster", "networks"),
    ("datasets",),
    ("features",),
    ("models",),
    ("training",),
    ("fusion",),
    ("reporting",),
    ("run_config", "run_estimate", "settings", "pipeline", "model_inputs", "predict", "predict_io", "tables",
     "workspace", "export", "serve", "cli",
     "__main__", "__init__"),
)
"""Ground helpers -> datasets -> features -> models -> training -> fusion -> reporting -> entry points.
A module may import from its own layer and the layers before it, never from a later one."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"{module}: its top-level name {top!r} is in no layer of LAYERS (add it there)")


MODULES: frozenset[str] = frozenset(_module_name(p) for p in PACKAGE.rglob("*.py"))


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported package module, line) of every import of this package in a file.

    ``from pkg import name`` counts as an import of ``pkg.name`` when that is a module (a submodule
    imported by name does not run through the package's ``__init__``), else of ``pkg``.
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "emotion_classifier":
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if submodule in MODULES:
                    found.append((submodule, node.lineno))
                elif node.module != "emotion_classifier":
                    found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("emotion_classifier.")]
    return list(dict.fromkeys(found))


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        graph[name] = {target for target, _ in _imports(path) if target in MODULES and target != name}
    return graph


def test_every_import_runs_down_the_pipeline():
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _module_name(path)
        for target, line in _imports(path):
            if _layer(target) > _layer(source):
                violations.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {source} imports {target}")
    assert not violations, "imports running back up the pipeline:\n" + "\n".join(violations)


def test_the_package_has_no_import_loop():
    graph = _graph()
    visiting, done, loops = set(), set(), []

    def visit(node: str, trail: list[str]) -> None:
        if node in done:
            return
        if node in visiting:
            loops.append(" -> ".join([*trail[trail.index(node):], node]))
            return
        visiting.add(node)
        for target in sorted(graph.get(node, ())):
            visit(target, [*trail, node])
        visiting.discard(node)
        done.add(node)

    for module in sorted(graph):
        visit(module, [])
    assert not loops, "import loops:\n" + "\n".join(loops)


def _name_lists(path: Path, names: set[str], root: Path = PACKAGE.parent) -> list[str]:
    """Tuple/list/set literals of two or more registered names: a second copy of the registry."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            values = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            if len(values & names) >= 2:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {sorted(values & names)}")
    return found


@pytest.mark.parametrize("kind", ["modality", "fusion method"])
def test_no_module_but_the_registry_lists_registered_names(kind):
    names = set(registry.modality_names() if kind == "modality" else registry.fusion_method_names())
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) if path.name != "registry.py"
             for hit in _name_lists(path, names)]
    assert not found, f"{kind} names listed outside registry.py:\n" + "\n".join(found)


def test_the_checks_above_can_fail(tmp_path):
    """The ast readers see an upward import and a hand-typed list (a check that never fires proves nothing)."""
    probe = tmp_path / "probe.py"
    probe.write_text('from emotion_classifier.reporting.report import write_report\nX = ("text", "bio")\n')
    assert _imports(probe) == [("emotion_classifier.reporting.report", 1)]
    assert _layer("emotion_classifier.reporting.report") > _layer("emotion_classifier.features.prepare")
    assert _name_lists(probe, {"text", "bio"}, root=tmp_path) == ["probe.py:2: ['bio', 'text']"]
