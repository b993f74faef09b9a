"""Plugins read their options from the validated model only, so each default is written once, in the model.

The source half reads every module of the plugin packages with ``ast``: no ``options.get(...)``, no
``options[...]``, no ``source.options`` (the raw config dict) outside the one place a reader validates it.
The behavioural half changes a default in a model (a subclass with another default put in place of the
plugin's ``Options``) and checks the plugin does what the new default says: a reader, an expert, a
description backend and an executor.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

import medtrinity
from medtrinity.config import parse_config
from medtrinity.records import Sample
from medtrinity.registry import registry

PACKAGE_ROOT = Path(medtrinity.__file__).parent
PLUGIN_PACKAGES = ("sources", "grounding/experts", "generation", "executors")
OPTION_NAMES = {"options", "settings"}


def _is_options(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id in OPTION_NAMES) or (
        isinstance(node, ast.Attribute) and node.attr in OPTION_NAMES)


def _raw_option_reads(path: Path) -> list[str]:
    """``line: text`` of every dict-style read of options in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    validated = {id(arg) for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and getattr(node.func, "id", getattr(node.func, "attr", "")) == "validate_options"
                 for arg in node.args}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and _is_options(node.func.value):
            found.append(node)
        elif isinstance(node, ast.Subscript) and _is_options(node.value):
            found.append(node)
        elif isinstance(node, ast.Attribute) and node.attr == "options" and id(node) not in validated \
                and getattr(node.value, "id", getattr(node.value, "attr", "")) == "source":
            found.append(node)
    return [f"{node.lineno}: {ast.unparse(node)}" for node in found]


def _plugin_modules() -> list[Path]:
    return sorted(path for package in PLUGIN_PACKAGES for path in (PACKAGE_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", _plugin_modules(), ids=lambda path: str(path.relative_to(PACKAGE_ROOT)))
def test_plugin_modules_read_options_only_as_typed_attributes(path):
    assert _raw_option_reads(path) == []


def test_the_checker_sees_dict_reads_of_options(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f(self, source, options):\n"
                     "    a = self.options.get('x', 1)\n"
                     "    b = options['y']\n"
                     "    c = self.source.options\n"
                     "    d = validate_options(Model, source.options, 'where')\n"
                     "    e = self.options.tile_size\n")
    assert [line.split(":")[0] for line in _raw_option_reads(probe)] == ["2", "3", "4"]


def _with_default(monkeypatch, plugin: type, field: str, value) -> None:
    """Put a subclass of ``plugin.Options`` whose ``field`` defaults to ``value`` in place of the model."""
    base = plugin.Options
    changed = type(f"Changed{base.__name__}", (base,), {"__annotations__": {field: base.model_fields[field].annotation},
                                                        field: value})
    monkeypatch.setattr(plugin, "Options", changed)


def test_a_reader_uses_the_default_of_its_model(monkeypatch):
    config = parse_config({"sources": [{"name": "p", "reader": "phantom", "path": "phantom"}]})
    reader_class = registry("readers").get("phantom")
    assert len(reader_class(config.sources[0], config).list_items()) == 1
    _with_default(monkeypatch, reader_class, "cases", 3)
    assert len(reader_class(config.sources[0], config).list_items()) == 3


def test_an_expert_uses_the_default_of_its_model(monkeypatch):
    image = np.zeros((64, 64), np.uint8)
    yy, xx = np.mgrid[:64, :64]
    image[(yy - 32) ** 2 + (xx - 32) ** 2 < 24 ** 2] = 120  # a round field of view on a black frame
    sample = Sample(id="0123456789abcdef", source="s", case_id="c", modality="mri", body_part="", pixels=image,
                    image=image, spacing_mm=(1.0, 1.0))
    expert_class = registry("experts").get("field_of_view")
    assert [region.label for region in expert_class({}).segment(sample)] == ["field of view"]
    _with_default(monkeypatch, expert_class, "label", "imaged area")
    assert [region.label for region in expert_class({}).segment(sample)] == ["imaged area"]


def test_a_backend_uses_the_default_of_its_model(monkeypatch):
    backend_class = registry("backends").get("openai")
    given = {"model": "m", "base_url": "http://127.0.0.1:9/v1"}  # nothing is sent: only the settings are read
    assert backend_class(given).batch_size == backend_class.Options.model_fields["batch_size"].default
    _with_default(monkeypatch, backend_class, "batch_size", 7)
    assert backend_class(given).batch_size == 7
    _with_default(monkeypatch, backend_class, "max_concurrency", 3)
    assert backend_class(given).options.max_concurrency == 3


def test_an_executor_uses_the_default_of_its_model(monkeypatch, tmp_path):
    """One worker runs shards in this process (where the shard function is replaced); two run them in a spawned
    pool, whose fresh interpreter runs the real function (which fails on the empty spec, as an outcome)."""
    import os

    from medtrinity.executors import local

    monkeypatch.setattr(local, "execute_shard", lambda spec, config, out_dir: {"pid": os.getpid()})
    executor_class = registry("executors").get("local")
    [here] = executor_class({}).map([{"index": 0}], {}, str(tmp_path))
    assert here.result == {"pid": os.getpid()}
    _with_default(monkeypatch, executor_class, "workers", 2)
    executor = executor_class({})
    assert executor.options.workers == 2
    [pooled] = executor.map([{"index": 0}], {}, str(tmp_path))
    assert pooled.result is None and pooled.error


# ``name`` (NUMBER ...) in a docstring: the default it states (not ``a``/``b`` (x, y) pairs, not percentages)
STATED_DEFAULT = re.compile(r"(?<![/`])``([a-z_]+)`` \((?:default:? )?(-?\d+(?:\.\d+)?)(?=[ ,)])")


def _stated_defaults(text: str) -> list[tuple[str, float]]:
    return [(name, float(value)) for name, value in STATED_DEFAULT.findall(text or "")]


def _docstring_drift() -> list[str]:
    """Numeric defaults stated in plugin docstrings (module and class) that no options model of the module has."""
    import importlib
    import inspect

    from medtrinity.registry import BUILT_IN, KINDS

    drift = []
    for module_name in sorted({module for kind in KINDS for module in BUILT_IN[kind].values()}):
        plugins = [registry(kind).get(name) for kind in KINDS for name, where in BUILT_IN[kind].items()
                   if where == module_name]
        defaults: dict[str, set[float]] = {}
        for plugin in plugins:
            for field, info in plugin.Options.model_fields.items():
                if isinstance(info.default, (int, float)) and not isinstance(info.default, bool):
                    defaults.setdefault(field, set()).add(float(info.default))
        texts = [importlib.import_module(module_name).__doc__] + [inspect.getdoc(plugin) for plugin in plugins]
        for name, value in (pair for text in texts for pair in _stated_defaults(text)):
            if name in defaults and value not in defaults[name]:
                drift.append(f"{module_name}: ``{name}`` ({value:g}) but the model says {sorted(defaults[name])}")
    return drift


def test_defaults_stated_in_plugin_docstrings_are_the_models():
    assert _docstring_drift() == []


def test_the_docstring_check_reads_stated_defaults():
    text = "Options: ``tile_size`` (512 px), ``level`` (0 = full), ``margin`` (10%), ``mean``/``std`` (0, 1), " \
           "``min_distance_px`` (4, about a radius), ``stain`` (``he``), ``air_hu`` (default -400)."
    assert _stated_defaults(text) == [("tile_size", 512.0), ("level", 0.0), ("min_distance_px", 4.0),
                                      ("air_hu", -400.0)]
