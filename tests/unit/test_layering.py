"""The package layers hold: leaves import nothing above them, nothing imports upward, domain edges are known.

Layers, lowest first: leaves (vocab, records, io, registry, config, stats, schema and the test-data
generators), domain packages (preprocess, grounding, knowledge, generation, quality, sources), stages,
the run folder, the run layer (pipeline, runner, executors, export, inspect, verify_run, demo), the
readers of finished runs (report, viewer), the command line. Imports are read from the source (every
``import`` statement, also inside functions), so a lazy import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import medtrinity

PACKAGE_ROOT = Path(medtrinity.__file__).parent

# rank of each top-level module or package; an import must go to a strictly lower rank (or stay inside)
RANKS: dict[str, int] = {
    "vocab": 0, "datapaths": 0, "phantom": 0, "synthetic_dicom": 0, "synthetic_dcmqi": 0, "allocator": 0,
    "compiled": 0,
    "records": 1, "registry": 1,
    "io": 2, "stats": 2, "config": 2,
    "schema": 3, "recipes": 3,
    "preprocess": 10, "grounding": 10, "knowledge": 10, "generation": 10, "quality": 10, "sources": 10,
    "stages": 20,
    "run_integrity": 24, "run_folder": 25,
    "pipeline": 30,
    "executors": 31, "export": 31,
    "runner": 32, "remote_run": 33, "remote_status": 33, "remote_verify": 34,
    "verify_run": 32, "inspect": 32, "demo": 32, "evaluation": 32,
    "config_check": 15, "run_lock": 2, "hostile": 33,
    "report": 33, "viewer": 33,
    "progress": 40,
    "cli": 50, "__main__": 51, "__init__": 0,
}
LEAVES = {name for name, rank in RANKS.items() if rank < 10}
DOMAIN = {name for name, rank in RANKS.items() if rank == 10}

# the known sideways edges between domain packages (importer -> imported), each with its reason
DOMAIN_EDGES: dict[tuple[str, str], str] = {
    ("sources", "preprocess"): "readers de-identify case ids and metadata (preprocess.deid)",
    ("quality", "generation"): "the judge asks a description backend (generation.backends, generation.prompt)",
    ("grounding", "preprocess"): "a sample grounded without the preprocess stage gets the display image its "
                                 "texture is read on (preprocess.display)",
}


def _imports(path: Path) -> set[str]:
    """Top-level medtrinity names imported by one file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        modules = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] if node.module != "medtrinity" else [f"medtrinity.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        found.update(module.split(".")[1] for module in modules if module.startswith("medtrinity."))
    return found


def _edges() -> list[tuple[str, str, str]]:
    """(importer top name, imported top name, file) for every cross-package import."""
    edges = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        relative = path.relative_to(PACKAGE_ROOT)
        top = relative.parts[0].removesuffix(".py")
        for target in _imports(path):
            if target != top:
                edges.append((top, target, str(relative)))
    return edges


def test_every_top_level_module_has_a_layer():
    names = {path.name.removesuffix(".py") for path in PACKAGE_ROOT.iterdir()
             if (path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()))}
    assert names - set(RANKS) == set(), "give each new top-level module a rank in RANKS"


@pytest.mark.parametrize("leaf", sorted(LEAVES - {"__init__"}))
def test_leaves_import_only_lower_leaves(leaf):
    bad = [(target, where) for top, target, where in _edges()
           if top == leaf and (target not in LEAVES or RANKS[target] >= RANKS[leaf])]
    assert bad == []


def test_no_module_imports_upward():
    upward = [(top, target, where) for top, target, where in _edges()
              if RANKS.get(target, 99) > RANKS.get(top, 99)]
    assert upward == []


def test_domain_packages_import_each_other_only_along_known_edges():
    sideways = {(top, target, where) for top, target, where in _edges()
                if top in DOMAIN and target in DOMAIN and (top, target) not in DOMAIN_EDGES}
    assert sideways == set()


def test_same_rank_imports_outside_the_domain_are_absent():
    same = [(top, target, where) for top, target, where in _edges()
            if top not in DOMAIN and RANKS.get(top) == RANKS.get(target)]
    assert same == []


def test_the_checker_sees_lazy_and_upward_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from medtrinity.pipeline import run_shard\n    import medtrinity.cli\n")
    assert _imports(probe) == {"pipeline", "cli"}


def _only_reexports(path: Path) -> bool:
    """Whether a module holds nothing but a docstring, imports and ``__all__`` (a forwarding address)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    for node in body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Assign) and [getattr(t, "id", "") for t in node.targets] == ["__all__"]:
            continue
        return False
    return bool(body)


def test_no_module_only_forwards_imports_from_an_old_path():
    forwarding = [str(path.relative_to(PACKAGE_ROOT)) for path in sorted(PACKAGE_ROOT.rglob("*.py"))
                  if path.name != "__init__.py" and _only_reexports(path)]
    assert forwarding == [], "import from the real home and delete the old path"


def test_the_forwarding_check_sees_a_reexport_module(tmp_path):
    probe = tmp_path / "old_home.py"
    probe.write_text('"""Old home."""\nfrom medtrinity.io.png import encode_png\n__all__ = ["encode_png"]\n')
    assert _only_reexports(probe)
    probe.write_text("from medtrinity.io.png import encode_png\n\n\ndef f():\n    return encode_png\n")
    assert not _only_reexports(probe)
