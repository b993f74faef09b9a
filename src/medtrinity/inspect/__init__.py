"""``medtrinity inspect PATH...``: recognise the layout of folders and files and write a ready config.

Each path is examined on its own (a few headers and names, never whole datasets): the layout
decides the reader, DICOM headers and ``dataset.json`` give the modality and body part, masks,
SEG segments, RTSTRUCT ROIs and tables give the label names. The result is a config mapping that
``medtrinity run`` accepts unchanged, plus notes: what was seen, and what the user should check or
fill in where the files do not tell (for instance the modality of a folder of PNGs).
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from medtrinity.inspect.checks import check_facts
from medtrinity.inspect.common import ROLE_FOLDERS, Finding, _name
from medtrinity.inspect.layouts import (
    Candidate,
    FolderScene,
    candidates,
    fill_file,
    fill_folder,
    recognisers,
)
from medtrinity.inspect.licences import read_licences
from medtrinity.recipes import get_recipe, match_recipe
from medtrinity.registry import registry
from medtrinity.sources.layout import (
    DATASET_ROOT_PRIORITY,
    VOLUME_SUFFIXES,
    data_files,
    has_suffix,
    listings_shared,
)


def inspect_path(path: Path, recipe: str | None = None) -> Finding:
    """Recognise one folder or file; ``recipe`` forces a dataset recipe instead of recognising the layout.

    Recipes (named datasets) come first; then the registered readers say whether the path looks like their
    layout (``Reader.looks_like``), tried best first (see :mod:`medtrinity.inspect.layouts`)."""
    path = Path(path).expanduser().resolve()
    finding = Finding(path)
    if not path.exists():
        finding.todo.append(f"{path}: does not exist")
        return finding
    if recipe is not None or (path.is_dir() and match_recipe(path) is not None):
        _use_recipe(path, get_recipe(recipe) if recipe else match_recipe(path), finding, forced=recipe is not None)
        return finding
    if path.is_file():
        _inspect_file(path, finding)
        return finding
    files = data_files(path)
    # dataset roots (BIDS, nnU-Net) before a folder is split into parts
    for candidate in candidates(path, at_least=DATASET_ROOT_PRIORITY, whole_file=False):
        if fill_folder(candidate, FolderScene(path, files, finding)):
            return finding
    if not files:
        finding.todo.append(f"{path}: the folder is empty")
        return finding
    subfolders = [p for p in sorted(path.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    data_subfolders = [p for p in subfolders if p.name.lower() not in ROLE_FOLDERS]
    top_data = [p for p in data_files(path, recursive=False)
                if has_suffix(p, (*VOLUME_SUFFIXES, ".h5", ".hdf5", ".npz"))]
    if data_subfolders and top_data and not registry("readers").get("image_folder").looks_like(path):
        return _mixed_folder(path, data_subfolders, finding)
    _inspect_folder(path, files, finding)
    return finding


def _use_recipe(path: Path, recipe, finding: Finding, forced: bool) -> None:
    source = recipe.source_for(path, name=_name(path))
    finding.sources.append(source)
    how = "forced with --recipe" if forced else f"recognised by {', '.join(recipe.match)}"
    finding.seen.append(f"{path}: {recipe.title} (recipe {recipe.name}, {how})")
    if forced and not recipe.matches(path):
        finding.todo.append(f"{path}: !! the folder does not have recipe {recipe.name}'s layout ({recipe.layout}); "
                            "the run will reject what it cannot find")
    for fact, value in (("modality", recipe.modality), ("body_part", recipe.body_part)):
        if value:
            finding.fact(source["name"], fact, value, f"read from recipe {recipe.name}")
    if recipe.labels:
        finding.fact(source["name"], "labels", sorted(recipe.labels.values()), f"read from recipe {recipe.name}")
    elif recipe.image_labels:
        finding.fact(source["name"], "labels", list(recipe.image_labels), f"read from recipe {recipe.name}")
    else:
        finding.fact(source["name"], "labels", "named by the files", f"read from the files (recipe {recipe.name})")
    finding.seen.append(f"{path}: licence {recipe.licence}; cite: {recipe.citation}")


def _mixed_folder(path: Path, subfolders: list[Path], finding: Finding) -> Finding:
    """A folder holding data files and data subfolders: each subfolder on its own, then the loose files."""
    for subfolder in subfolders:
        part = inspect_path(subfolder)
        finding.sources += part.sources
        finding.seen += part.seen
        finding.todo += part.todo
        finding.shapes.update(part.shapes)
    _inspect_folder(path, data_files(path, recursive=False), finding, pair_with=finding.shapes)
    return finding


def _inspect_folder(path: Path, files: list[Path], finding: Finding,
                    pair_with: dict[str, tuple[int, int, int]] | None = None) -> None:
    """Self-contained files first (each its own source), else the best folder layout the readers recognise."""
    if _whole_files(files, finding):
        return
    scene = FolderScene(path, files, finding, pair_with)
    for candidate in candidates(path, whole_file=False):
        if candidate.match.score >= DATASET_ROOT_PRIORITY:
            continue  # dataset roots were tried before the folder was split
        if fill_folder(candidate, scene):
            return
    if pair_with is not None:
        return
    suffixes = Counter("".join(p.suffixes[-2:]).lower() or "(none)" for p in files)
    finding.seen.append(f"{path}: {len(files)} files, by suffix {dict(suffixes.most_common(8))}")
    finding.todo.append(f"{path}: no known layout recognised: add a source by hand (see `medtrinity readers`)")


def _whole_files(files: list[Path], finding: Finding) -> bool:
    """Files that are a dataset each (HDF5, npz, slides: readers declaring ``whole_file``), one source per file,
    readers of one priority together, the higher priority first."""
    readers = [(name, plugin) for name, plugin in recognisers() if getattr(plugin, "whole_file", False)]
    found = False
    for _, tier in itertools.groupby(readers, key=lambda item: getattr(item[1], "inspect_priority", 0)):
        tier = list(tier)
        for file in files:
            for name, plugin in tier:
                match = plugin.looks_like(file)
                if match is not None and fill_file(Candidate(name, plugin, match), file, finding):
                    found = True
                    break
    return found


def _inspect_file(path: Path, finding: Finding) -> None:
    for candidate in candidates(path):
        if fill_file(candidate, path, finding):
            return
    finding.todo.append(f"{path}: this file's format is not recognised (see `medtrinity readers`)")


def build_config(paths: list[Path], recipe: str | None = None) -> tuple[dict[str, Any], list[Finding]]:
    """Inspect every path; the sources found make one run config (names made unique)."""
    if recipe is not None:
        get_recipe(recipe)  # an unknown name is a KeyError listing the known ones, before any work
    with listings_shared():  # every reader asked about a folder lists it once
        findings = [inspect_path(Path(p), recipe) for p in paths]
    for finding in findings:
        check_facts(finding)
        read_licences(finding)
    sources: list[dict[str, Any]] = []
    used: set[str] = set()
    for finding in findings:
        for source in finding.sources:
            name, number = source["name"], 2
            while source["name"] in used:
                source["name"] = f"{name}_{number}"
                number += 1
            used.add(source["name"])
            sources.append(source)
    # experts "auto": each modality's offline expert outlines anatomy where a sample brings no mask
    config: dict[str, Any] = {"sources": sources, "slicing": {"plane": "axial", "without_roi_fraction": 0.1},
                              "grounding": {"experts": "auto"},
                              "knowledge": {"kb": "builtin", "top_k": 3}, "generation": {"backend": "composer"}}
    evaluation = [path for finding in findings for path in finding.evaluation]
    if evaluation:
        config["preprocess"] = {"evaluation_images": evaluation}
    return config, findings


def render(paths: list[Path], recipe: str | None = None) -> tuple[str, bool]:
    """The YAML text to print (with what was seen and what to fill in as comments), and whether any source was found."""
    config, findings = build_config(paths, recipe)
    lines = ["# medtrinity config written by `medtrinity inspect`", "#"]
    unknown = [f for finding in findings for f in finding.facts if f[3].startswith("unknown")]
    for source, fact, _, how in unknown:
        lines.append(f"# !! UNKNOWN {fact} of source {source}: {how}. Set it before `medtrinity run`.")
    if unknown:
        lines.append("#")
    for finding in findings:
        for text in finding.seen:
            lines.append(f"# seen: {text}")
    facts = [f for finding in findings for f in finding.facts if not f[3].startswith("unknown")]
    if facts:
        lines.append("#")
        lines.append("# facts (read = stated by the files or a recipe; guessed = inferred, check it):")
        lines += [f"#   {source}: {fact} = {value} ({how})" for source, fact, value, how in facts]
    todos = [text for finding in findings for text in finding.todo]
    if todos:
        lines.append("#")
        lines.append("# check or fill in:")
        lines += [f"#   - {text}" for text in todos]
    lines.append("")
    if config["sources"]:
        lines.append(yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip())
    else:
        lines.append("# no source recognised: nothing to run yet")
    return "\n".join(lines) + "\n", bool(config["sources"])

