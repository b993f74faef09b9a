"""``medtrinity inspect PATH...``: recognise the layout of folders and files and write a ready config.

Each path is examined on its own (a few headers and names, never whole datasets): the layout
decides the reader, DICOM headers and ``dataset.json`` give the modality and body part, masks,
SEG segments, RTSTRUCT ROIs and tables give the label names. The result is a config mapping that
``medtrinity run`` accepts unchanged, plus notes: what was seen, and what the user should check or
fill in where the files do not tell (for instance the modality of a folder of PNGs).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from medtrinity.inspect.checks import check_facts
from medtrinity.inspect.common import (
    ROLE_FOLDERS,
    TAG_PAIRS,
    VOLUME_SUFFIXES,
    Finding,
    _ends,
    _files,
    _guess_modality,
    _images,
    _name,
    _name_labels,
)
from medtrinity.inspect.containers import _hdf5, _is_large_tiff, _npz, _slide
from medtrinity.inspect.images import _coco, _image_folder, _images_with_masks, _tables, _vqa, _yolo_or_voc
from medtrinity.inspect.volumes import _bids, _dicom, _nnunet, _volumes
from medtrinity.recipes import get_recipe, match_recipe


def inspect_path(path: Path, recipe: str | None = None) -> Finding:
    """Recognise one folder or file; ``recipe`` forces a dataset recipe instead of recognising the layout."""
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
    if _bids(path, finding):
        return finding
    if _nnunet(path, finding):
        return finding
    files = _files(path)
    if not files:
        finding.todo.append(f"{path}: the folder is empty")
        return finding
    subfolders = [p for p in sorted(path.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    data_subfolders = [p for p in subfolders if p.name.lower() not in ROLE_FOLDERS]
    top_data = [p for p in _files(path, recursive=False) if _ends(p, (*VOLUME_SUFFIXES, ".h5", ".hdf5", ".npz"))]
    if data_subfolders and top_data and not _image_folder(path, Finding(path)):
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
    _inspect_folder(path, _files(path, recursive=False), finding, pair_with=finding.shapes)
    return finding


def _inspect_folder(path: Path, files: list[Path], finding: Finding,
                    pair_with: dict[str, tuple[int, int, int]] | None = None) -> None:
    containers = [p for p in files if _ends(p, (".h5", ".hdf5", ".npz"))]
    slides = [p for p in files if _ends(p, (".svs", ".ndpi", ".mrxs", ".scn")) or (
        _ends(p, (".tif", ".tiff")) and _is_large_tiff(p))]
    jsons = [p for p in files if p.suffix.lower() == ".json"]
    for container in containers:
        (_hdf5 if container.suffix.lower() != ".npz" else _npz)(container, finding)
    for slide in slides:
        _slide(slide, finding)
    if containers or slides:
        return
    if any(_coco(p, finding, _name(path)) for p in jsons):
        return
    if _vqa(path, jsons, finding):
        return
    if pair_with is None and _dicom(path, finding):
        return
    if _yolo_or_voc(path, files, finding):
        return
    images = _images(files)
    if _tables(path, _images(_files(path, recursive=False)) or images, finding):
        return
    if _images_with_masks(path, finding):
        return
    if _image_folder(path, finding):
        return
    if _volumes(path, files, finding, pair_with or {}):
        return
    if images:
        source = {"name": _name(path), "reader": "image_masks", "path": str(images[0].parent)}
        finding.seen.append(f"{path}: {len(images)} images without masks, labels or tables")
        _guess_modality(path, source, finding)
        finding.sources.append(source)
        return
    if pair_with is not None:
        return
    suffixes = Counter("".join(p.suffixes[-2:]).lower() or "(none)" for p in files)
    finding.seen.append(f"{path}: {len(files)} files, by suffix {dict(suffixes.most_common(8))}")
    finding.todo.append(f"{path}: no known layout recognised: add a source by hand (see `medtrinity readers`)")


def _inspect_file(path: Path, finding: Finding) -> None:
    if _ends(path, (".h5", ".hdf5")):
        _hdf5(path, finding)
    elif _ends(path, (".npz",)):
        _npz(path, finding)
    elif _ends(path, (".svs", ".ndpi", ".mrxs", ".scn")) or (_ends(path, (".tif", ".tiff")) and _is_large_tiff(path)):
        _slide(path, finding)
    elif path.suffix.lower() == ".json" and _coco(path, finding):
        pass
    elif _ends(path, VOLUME_SUFFIXES):
        reader = "nifti" if _ends(path, (".nii", ".nii.gz")) else "sitk"
        source = {"name": _name(path), "reader": reader, "path": str(path)}
        partner = next((path.with_name(path.name.replace(a, b)) for a, b in TAG_PAIRS if a in path.name
                        and path.with_name(path.name.replace(a, b)).exists()), None)
        if partner is not None:
            source["labels"] = str(partner)
            label_maps = [p for p in path.parent.iterdir() if p.suffix == ".json" and "label" in p.name.lower()]
            _name_labels(source, label_maps, partner, finding)
        found = f" with labels {partner.name}" if partner else ", no labels found"
        finding.seen.append(f"{path}: one volume{found}")
        _guess_modality(path, source, finding)
        finding.sources.append(source)
    elif _dicom(path, finding):
        pass
    else:
        finding.todo.append(f"{path}: this file's format is not recognised (see `medtrinity readers`)")


def build_config(paths: list[Path], recipe: str | None = None) -> tuple[dict[str, Any], list[Finding]]:
    """Inspect every path; the sources found make one run config (names made unique)."""
    if recipe is not None:
        get_recipe(recipe)  # an unknown name is a KeyError listing the known ones, before any work
    findings = [inspect_path(Path(p), recipe) for p in paths]
    for finding in findings:
        check_facts(finding)
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

