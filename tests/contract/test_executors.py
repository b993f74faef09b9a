"""Every registered executor declares a strict options model, and ``make_executor`` validates through it."""

from __future__ import annotations

import pytest

from medtrinity.executors import make_executor
from medtrinity.registry import PluginOptions, registry

EXECUTORS = registry("executors")


@pytest.mark.parametrize("name", sorted(EXECUTORS.names()))
def test_executor_declares_a_strict_options_model(name):
    model = EXECUTORS.options_model(name)
    assert issubclass(model, PluginOptions) and model.model_config.get("extra") == "forbid"
    assert "workers" in model.model_fields


def test_make_executor_names_the_bad_option():
    with pytest.raises(ValueError, match=r"executor local\.workers: input should be greater than or equal to 1"):
        make_executor("local", 0)
    with pytest.raises(ValueError, match=r"executor local\.address: extra inputs are not permitted"):
        make_executor("local", 1, "127.0.0.1:6379")
    assert make_executor("ray", 2, "127.0.0.1:6379").options.address == "127.0.0.1:6379"


def test_every_built_in_plugin_is_registered_by_the_module_listed_for_it():
    import importlib

    from medtrinity.registry import BUILT_IN, KINDS

    for kind in KINDS:
        plugins = registry(kind)
        assert set(plugins.names()) >= set(BUILT_IN[kind])
        for name, module in BUILT_IN[kind].items():
            assert plugins.get(name).__module__ == importlib.import_module(module).__name__, (kind, name)
