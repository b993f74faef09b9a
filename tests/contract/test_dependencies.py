"""Install commands are written once, in each plugin's ``dependencies``; imports at run time look them up there.

The source is read with ``ast``: no ``require(...)`` call outside ``registry.py`` writes an install command
as a literal, no built-in plugin module calls ``require`` at all (it calls ``require_dependency``), and every
``require_dependency(owner, "module")`` names a module its owner declares. The behavioural half: a plugin
whose dependency is absent on this machine fails with the command from its declaration.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

import medtrinity
from medtrinity.registry import (
    BUILT_IN,
    KINDS,
    MissingDependencyError,
    PluginOptions,
    Registry,
    registry,
    require_dependency,
)

PACKAGE_ROOT = Path(medtrinity.__file__).parent
PLUGIN_MODULES = sorted({module for kind in KINDS for module in BUILT_IN[kind].values()})


def _calls(path: Path, function: str) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == function]


def _module_path(module: str) -> Path:
    return PACKAGE_ROOT.joinpath(*module.split(".")[1:]).with_suffix(".py")


def _is_literal_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def test_no_require_call_writes_an_install_command_outside_the_registry():
    literal = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        if path.name == "registry.py" and path.parent == PACKAGE_ROOT:
            continue
        for call in _calls(path, "require"):
            install = call.args[1] if len(call.args) > 1 else next(
                (k.value for k in call.keywords if k.arg == "install"), None)
            if install is not None and _is_literal_text(install):
                literal.append(f"{path.relative_to(PACKAGE_ROOT)}:{call.lineno}")
    assert literal == [], "declare the install command in the plugin's `dependencies` and call require_dependency"


@pytest.mark.parametrize("module", PLUGIN_MODULES)
def test_plugin_modules_import_their_dependencies_through_the_declaration(module):
    path = _module_path(module)
    assert [call.lineno for call in _calls(path, "require")] == []
    plugins = {cls.__name__: cls for kind in KINDS for name, where in BUILT_IN[kind].items() if where == module
               for cls in [registry(kind).get(name)]}
    loaded = importlib.import_module(module)
    for call in _calls(path, "require_dependency"):
        owner, wanted = call.args[0], call.args[1]
        assert isinstance(wanted, ast.Constant), f"{module}:{call.lineno}: name the module as a literal"
        if isinstance(owner, ast.Name) and owner.id != "self":
            owner_class = getattr(loaded, owner.id)
        else:  # ``self``: the module's plugin classes (each declares what it imports)
            owner_class = None
        declared = {name for cls in ([owner_class] if owner_class else plugins.values())
                    for name, _ in cls.dependencies}
        assert wanted.value.split(".")[0] in declared or wanted.value in declared, f"{module}:{call.lineno}"


def test_a_missing_dependency_fails_with_the_declared_install_command():
    class Options(PluginOptions):
        pass

    class Probe:
        dependencies = (("medtrinity_absent_package", "pip install medtrinity-absent-package==1.2"),)

    Probe.Options = Options
    Registry("readers").register("probe_reader")(Probe)
    with pytest.raises(MissingDependencyError) as error:
        require_dependency(Probe(), "medtrinity_absent_package.sub")
    assert "`pip install medtrinity-absent-package==1.2`" in str(error.value)
    assert "the probe_reader reader" in str(error.value)
    with pytest.raises(TypeError, match="imports 'json' but does not declare it"):
        require_dependency(Probe, "json")  # an undeclared import is a programming error, named


def test_real_plugins_missing_here_name_their_declared_command():
    """Every built-in plugin whose declared package is absent on this machine fails with its declaration's command."""
    checked = 0
    for kind in KINDS:
        for name in BUILT_IN[kind]:
            plugin = registry(kind).get(name)
            for module, command in plugin.dependencies:
                if importlib.util.find_spec(module) is not None:
                    assert require_dependency(plugin, module).__name__ == module
                    continue
                with pytest.raises(MissingDependencyError) as error:
                    require_dependency(plugin, module)
                assert f"`{command}`" in str(error.value) and f"the {name} {kind[:-1]}" in str(error.value)
                checked += 1
    if checked == 0:
        pytest.skip("every declared dependency is installed here; the probe test covers the message")
