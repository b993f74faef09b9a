"""Every name and path a run will use, checked before anything is written.

Pydantic checks types and ranges; this checks what only the installed plugins and the file system
know: reader, expert and backend names, each reader's options against its model, the knowledge base, the CT
window preset, and that every input path, labels folder, label map and evaluation set exists. The
first problem is one line naming the field (``sources[1].labels: ...``); the CLI exits 2 with it.
"""

from __future__ import annotations

from pathlib import Path

from medtrinity.config import ConfigError, RunConfig, SourceConfig
from medtrinity.io.remote import is_remote, remote_exists, stage

_GLOB_CHARS = "*?["


def _exists(pattern: str) -> bool:
    """A path exists; for a glob, the folder it starts from does (what it matches is checked when planning).
    An object-store URL is asked of its store."""
    if is_remote(pattern):
        try:
            return remote_exists(pattern)
        except (OSError, ImportError, ValueError) as error:
            raise ConfigError(f"{pattern}: the object store cannot be read: {error}") from error
    if any(char in pattern for char in _GLOB_CHARS):
        from medtrinity.sources.safety import pattern_root

        return pattern_root(pattern).is_dir()
    return Path(pattern).expanduser().exists()


def _one_of(field: str, value: str, known: list[str], what: str) -> None:
    if value not in known:
        raise ConfigError(f"{field}: unknown {what} {value!r}; known: {', '.join(known) or 'none'}")


def check_source(index: int, source: SourceConfig, readers: list[str]) -> None:
    """One source's reader name, paths and label map."""
    field = f"sources[{index}] ({source.name})"
    _one_of(f"{field}.reader", source.reader, readers, "reader")
    from medtrinity.sources.base import READERS

    try:  # the reader's options model (ranges, choices): also for a RunConfig built without parse_config
        READERS.validate_options(source.reader, source.options, f"{field}.options")
    except ValueError as error:
        raise ConfigError(str(error)) from error
    if not READERS.get(source.reader).reads_files:
        return
    if not _exists(source.path) and not source.may_be_empty:
        raise ConfigError(f"{field}.path: {source.path} does not exist (set may_be_empty: true if that is expected)")
    if source.labels and not _exists(source.labels) and not source.may_be_empty:
        raise ConfigError(f"{field}.labels: {source.labels} does not exist (set may_be_empty: true if the labels "
                          "are expected to be missing)")
    if source.label_map:
        from medtrinity.sources.base import load_label_map

        if is_remote(source.label_map) and not _exists(source.label_map):
            raise ConfigError(f"{field}.label_map: {source.label_map} does not exist")
        label_map = stage(source.label_map) if is_remote(source.label_map) else source.label_map
        if not Path(label_map).is_file():
            raise ConfigError(f"{field}.label_map: {source.label_map} does not exist")
        try:
            names = load_label_map(label_map)
        except ValueError as error:
            raise ConfigError(f"{field}.label_map: {error}") from error
        _check_findings_named(field, source.findings, list(names.values()), "the label map")
    elif source.label_names:
        _check_findings_named(field, source.findings, list(source.label_names.values()), "label_names")


def _check_findings_named(field: str, findings: list[str] | None, names: list[str], where: str) -> None:
    """Each configured finding must be one of the source's label names (spelling and ``_`` aside): one that
    names none would leave the lesion it meant described as an organ, without a word said."""
    from medtrinity.vocab.labels import is_finding, readable_label

    for finding in findings or []:
        if not any(is_finding(readable_label(name), [finding]) for name in names):
            shown = ", ".join(sorted({readable_label(name) for name in names})[:12])
            more = f" ... ({len(set(names))} in all)" if len(set(names)) > 12 else ""
            raise ConfigError(f"{field}.findings: {finding!r} is not a label of {where} ({shown}{more})")


def check_config(config: RunConfig) -> None:
    """Raise :class:`ConfigError` naming the first field whose name or path cannot work."""
    import importlib

    from medtrinity.generation.backends import BACKENDS
    from medtrinity.grounding import experts as expert_package
    from medtrinity.grounding.experts import EXPERTS
    from medtrinity.preprocess.windowing import CT_WINDOWS_HU
    from medtrinity.sources import reader_names

    readers = reader_names()
    for index, source in enumerate(config.sources):
        check_source(index, source, readers)
    for module in getattr(expert_package, "_BUILT_IN", ()):  # the built-in experts register on import
        importlib.import_module(f"medtrinity.grounding.experts.{module}")
    rules = [] if isinstance(config.grounding.experts, str) else config.grounding.experts  # "auto": built-ins
    for index, rule in enumerate(rules):
        _one_of(f"grounding.experts[{index}].name", rule.name, EXPERTS.names(), "expert")
    _one_of("generation.backend", config.generation.backend, BACKENDS.names(), "description backend")
    if config.quality.judge_backend:
        _one_of("quality.judge_backend", config.quality.judge_backend, BACKENDS.names(), "judge backend")
    kb = config.knowledge.kb
    if kb not in ("builtin", "none") and not Path(kb).expanduser().is_dir():
        raise ConfigError(f"knowledge.kb: {kb!r} is neither builtin, none, nor a knowledge-base folder "
                          "(build one with `medtrinity kb build`)")
    window = config.preprocess.ct_window
    if isinstance(window, str) and window != "auto":
        _one_of("preprocess.ct_window", window, [*sorted(CT_WINDOWS_HU), "auto", "[center, width]"],
                "CT window preset")
    elif not isinstance(window, str) and float(window[1]) <= 0:
        raise ConfigError(f"preprocess.ct_window: width must be positive, got {window[1]} HU")
    for index, entry in enumerate(config.preprocess.evaluation_images):
        if not _exists(entry):
            raise ConfigError(f"preprocess.evaluation_images[{index}]: {entry} does not exist")
