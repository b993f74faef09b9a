"""Plugins registered by name: readers, experts, description backends, executors.

One mechanism for every kind of plugin: a decorator registers a class under a name, the built-in
plugins are listed once here (:data:`BUILT_IN`, name -> module, imported the first time the name is
asked for), and third-party packages add more through the entry-point group ``medtrinity.<kind>``.

Every plugin class declares:

- ``Options``: a pydantic model of its options (a subclass of :class:`PluginOptions`, which forbids
  unknown keys), validated when the config is loaded, so a misspelt option is an error, not a silent
  default;
- ``dependencies``: the (import name, install command) pairs it needs beyond the core install, the
  one place they are written; :func:`require_dependency` (its imports at run time) and ``medtrinity
  plugins`` read them.

Asking for an unknown name fails with the names that exist; a plugin whose optional dependency is
missing fails with the command that installs it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

T = TypeVar("T")

KINDS: tuple[str, ...] = ("readers", "experts", "backends", "executors")

# every built-in plugin: kind -> name -> the module that registers it (imported the first time the name is
# asked for, so a config naming two plugins imports two modules; ``names()`` imports them all)
BUILT_IN: dict[str, dict[str, str]] = {
    "readers": {name: f"medtrinity.sources.{module}" for name, module in {
        "nifti": "nifti", "sitk": "sitk_volume", "image_masks": "image_masks", "dicom_files": "dicom_files",
        "dicom_series": "dicom_series", "image_class_masks": "class_masks", "csv_labels": "classification",
        "image_folder": "classification", "coco": "detection", "yolo": "detection", "voc": "detection",
        "nnunet": "nnunet", "hdf5": "arrays", "npz": "arrays", "npy": "arrays", "wsi": "wsi", "phantom": "phantom",
        "bids": "bids"}.items()},
    "experts": {name: f"medtrinity.grounding.experts.{module}" for name, module in {
        "ct_anatomy": "ct_anatomy", "onnx": "onnx_model", "totalsegmentator": "totalsegmentator",
        "chest_xray": "chest_xray", "field_of_view": "field_of_view", "nuclei": "pathology",
        "cellpose": "cell_models", "stardist": "cell_models", "hovernet": "cell_models", "skin_lesion": "dermoscopy",
        "fundus": "fundus", "box_prompt": "box_prompt", "chexmask": "chest_landmarks"}.items()},
    "backends": {name: f"medtrinity.generation.{module}" for name, module in {
        "composer": "composer", "openai": "openai_backend", "vllm": "vllm_backend",
        "transformers": "transformers_backend"}.items()},
    "executors": {"local": "medtrinity.executors.local", "ray": "medtrinity.executors.ray"},
}
BUILT_IN_MODULES: dict[str, tuple[str, ...]] = {
    kind: tuple(dict.fromkeys(modules.values())) for kind, modules in BUILT_IN.items()
}


# plugin class -> (kind, name) it was first registered under, for messages that name the plugin
_REGISTERED_AS: dict[Any, tuple[str, str]] = {}


class MissingDependencyError(ImportError):
    """An optional dependency of a plugin is not installed; the message carries the install command."""


class PluginOptions(BaseModel):
    """Base of every plugin's options model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class NoOptions(PluginOptions):
    """The options model of a plugin that takes none."""


def require(module: str, install: str, *, purpose: str):
    """Import ``module`` or fail with the pip command that installs it (no silent fallback)."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDependencyError(
            f"{purpose} needs the Python package '{module}', which is not installed: run `{install}`"
        ) from error


def _plugin_class(plugin: Any) -> type:
    return plugin if isinstance(plugin, type) else type(plugin)


def plugin_title(plugin: Any) -> str:
    """``the dicom_series reader``: the name a plugin class (or instance) was registered under, and its kind."""
    for cls in _plugin_class(plugin).__mro__:
        if cls in _REGISTERED_AS:
            kind, name = _REGISTERED_AS[cls]
            return f"the {name} {kind[:-1]}"
    return f"the plugin {_plugin_class(plugin).__name__}"


def require_dependency(plugin: Any, module: str, *, purpose: str | None = None):
    """Import ``module``, one of ``plugin``'s declared ``dependencies`` (or a submodule of one), or fail with
    the install command the plugin declares for it, so the command is written once, in the declaration."""
    declared = dict(getattr(_plugin_class(plugin), "dependencies", ()))
    install = declared.get(module) or declared.get(module.split(".")[0])
    if install is None:
        raise TypeError(f"{plugin_title(plugin)} imports {module!r} but does not declare it in `dependencies` "
                        f"(declared: {sorted(declared) or 'none'})")
    return require(module, install, purpose=purpose or plugin_title(plugin))


def missing_dependencies(plugin: Any) -> list[tuple[str, str]]:
    """The (import name, install command) pairs of a plugin's declared dependencies that are not installed."""
    return [(module, command) for module, command in getattr(plugin, "dependencies", ())
            if importlib.util.find_spec(module) is None]


def field_path(where: str, loc: tuple[Any, ...] | list[Any]) -> str:
    """``("sources", 0, "options", "x")`` -> ``sources[0].options.x`` (list positions in brackets)."""
    path = where
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part):
            path = f"{path}.{part}" if path else str(part)
    return path


def option_problems(errors: list[dict[str, Any]], where: str) -> list[str]:
    """Pydantic errors as lines ``<where>.<field>: <message>`` (the message starting lower-case)."""
    lines = []
    for item in errors:
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{field_path(where, item['loc'])}: {message[:1].lower() + message[1:]}")
    return lines


def validate_options(model: type[PluginOptions], options: dict[str, Any] | None, where: str) -> PluginOptions:
    """``options`` as ``model``; a ValueError lists every problem as ``<where>.<field>: <message>``."""
    try:
        return model.model_validate(dict(options or {}))
    except ValidationError as error:
        raise ValueError("; ".join(option_problems(error.errors(), where))) from error


class Registry(Generic[T]):
    """Name -> plugin class, filled by the ``register`` decorator, the built-in modules and entry points."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._built_ins_loaded = False
        self._entry_points_loaded = False

    def register(self, name: str) -> Callable[[T], T]:
        def decorate(item: T) -> T:
            if name in self._items and self._items[name] is not item:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = item
            _REGISTERED_AS.setdefault(item, (self.kind, name))
            return item

        return decorate

    def _load_built_ins(self) -> None:
        if self._built_ins_loaded:
            return
        self._built_ins_loaded = True
        for module in BUILT_IN_MODULES.get(self.kind, ()):
            importlib.import_module(module)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for entry in entry_points(group=f"medtrinity.{self.kind}"):
            if entry.name not in self._items:
                self._items[entry.name] = entry.load()
                _REGISTERED_AS.setdefault(self._items[entry.name], (self.kind, entry.name))

    def get(self, name: str) -> T:
        module = BUILT_IN.get(self.kind, {}).get(name)
        if name not in self._items and module is not None:
            importlib.import_module(module)  # only the module of this plugin: configs load fast
        if name not in self._items:
            self._load_built_ins()
        if name not in self._items:
            self._load_entry_points()
        if name not in self._items:
            known = ", ".join(sorted(self._items)) or "none"
            raise KeyError(f"unknown {self.kind[:-1]} {name!r}; known: {known}")
        return self._items[name]

    def names(self) -> list[str]:
        self._load_built_ins()
        self._load_entry_points()
        return sorted(self._items)

    def options_model(self, name: str) -> type[PluginOptions]:
        """The plugin's declared options model (every plugin must declare ``Options``)."""
        plugin = self.get(name)
        model = getattr(plugin, "Options", None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{self.kind[:-1]} {name!r} declares no options model (an `Options` pydantic class)")
        return model

    def validate_options(self, name: str, options: dict[str, Any] | None, where: str = "options") -> PluginOptions:
        """The options as the plugin's model; a ValueError lists every problem as ``<where>.<field>: <message>``."""
        return validate_options(self.options_model(name), options, where)


_REGISTRIES: dict[str, Registry] = {}


def registry(kind: str) -> Registry:
    """The one registry of a plugin kind (``readers``, ``experts``, ``backends``, ``executors``)."""
    if kind not in KINDS:
        raise KeyError(f"unknown plugin kind {kind!r}; known: {', '.join(KINDS)}")
    return _REGISTRIES.setdefault(kind, Registry(kind))
