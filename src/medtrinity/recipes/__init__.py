"""Recipes: ready source configs for public datasets, shipped as YAML files in ``recipes/data/``.

A recipe says how a dataset is laid out once downloaded (``match``: paths that must exist under the
dataset folder, ``folder``: names the folder itself may have), which reader opens it and with which
options (``source``, where ``{root}`` stands for the dataset folder), the label map in report terms and
which labels are findings, the modality and body part, the licence, the citation and where to download
it by hand (nothing is ever downloaded). ``medtrinity inspect`` recognises a recipe's layout and writes its
source; ``medtrinity inspect --recipe NAME PATH`` forces one; ``medtrinity recipes`` lists them.
"""

from __future__ import annotations

import fnmatch
import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

REQUIRED_FIELDS = ("name", "title", "modality", "body_part", "layout", "match", "source", "licence", "citation",
                   "download")
SINGLE_FILE_KEYS = ("labels", "boxes", "tissue_types", "path")  # keys whose glob names one file (a CSV, a JSON)
OPTION_FILE_KEYS = ("boxes", "tissue_types")
MAX_GLOB_CHECKS = 5000  # paths looked at per pattern while matching, so a huge tree stays quick


@dataclass(frozen=True)
class Recipe:
    """One public dataset's ready config and facts (see the module docstring)."""

    name: str
    title: str
    modality: str
    body_part: str
    layout: str
    match: tuple[str, ...]
    source: dict[str, Any]
    licence: str
    citation: str
    download: str
    labels: dict[int, str] = field(default_factory=dict)
    findings: tuple[str, ...] = ()
    image_labels: tuple[str, ...] = ()
    folder: tuple[str, ...] = ()
    # words in a path that point at this dataset when its layout was changed (patches, conversions):
    # inspect takes modality and labels from the recipe then, reported as guessed
    aliases: tuple[str, ...] = ()
    notes: str = ""
    tested_on: str = ""

    def matches(self, root: Path) -> bool:
        """Whether the dataset folder ``root`` has this recipe's layout."""
        if self.folder and not any(fnmatch.fnmatch(root.name.lower(), pattern.lower()) for pattern in self.folder):
            return False
        return all(_exists(root, pattern) for pattern in self.match)

    def specificity(self) -> int:
        """How much a match says: more required paths and a folder name make a more specific recipe."""
        return len(self.match) * 2 + (3 if self.folder else 0) + sum(p.count("/") for p in self.match)

    def source_for(self, root: Path, name: str | None = None) -> dict[str, Any]:
        """The run-config source for the dataset at ``root``, with the recipe's facts filled in."""
        source = _fill(self.source, str(root))
        for key in SINGLE_FILE_KEYS:  # a table or annotation file named by a glob: the first match
            holder = source.get("options", {}) if key in OPTION_FILE_KEYS else source
            if isinstance(holder.get(key), str) and any(char in holder[key] for char in "*?["):
                if key == "path" and source.get("reader") != "coco":
                    continue
                holder[key] = _first_match(holder[key])
        config: dict[str, Any] = {"name": name or _safe_name(root.name or self.name), **source}
        config.setdefault("modality", self.modality)
        if self.body_part:
            config.setdefault("body_part", self.body_part)
        if self.labels:
            config.setdefault("label_names", dict(self.labels))
        if self.findings:
            config.setdefault("findings", list(self.findings))
        config.setdefault("license", self.licence)
        return config


def _safe_name(text: str) -> str:
    import re

    return (re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-") or "source")[:60]


def _fill(value: Any, root: str) -> Any:
    if isinstance(value, str):
        return value.replace("{root}", root)
    if isinstance(value, dict):
        return {key: _fill(item, root) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, root) for item in value]
    return value


def _first_match(pattern: str) -> str:
    import glob

    found = sorted(glob.glob(pattern, recursive=True))
    return found[0] if found else pattern


def _exists(root: Path, pattern: str) -> bool:
    if not any(char in pattern for char in "*?["):
        return (root / pattern).exists()
    return next(itertools.islice(root.glob(pattern), MAX_GLOB_CHECKS), None) is not None


def _parse(text: str, origin: str) -> Recipe:
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise ValueError(f"recipe {origin}: expected a mapping, got {type(raw).__name__}")
    missing = [key for key in REQUIRED_FIELDS if not raw.get(key) and not (key == "body_part" and key in raw)]
    if missing:
        raise ValueError(f"recipe {origin}: missing {', '.join(missing)}")
    unknown = set(raw) - {f.name for f in Recipe.__dataclass_fields__.values()}
    if unknown:
        raise ValueError(f"recipe {origin}: unknown fields {sorted(unknown)}")
    values = dict(raw)
    from medtrinity.vocab.labels import readable_label

    # label names as every reader writes them (readable words), so a recipe and its samples agree
    values["labels"] = {int(k): readable_label(str(v)) for k, v in (raw.get("labels") or {}).items()}
    for key in ("match", "findings", "image_labels", "folder", "aliases"):
        item = raw.get(key) or ()
        values[key] = (item,) if isinstance(item, str) else tuple(str(v) for v in item)
    for key in ("findings", "image_labels"):
        values[key] = tuple(readable_label(v) for v in values[key])
    return Recipe(**values)


@lru_cache(maxsize=1)
def all_recipes() -> tuple[Recipe, ...]:
    """Every shipped recipe, sorted by name."""
    folder = resources.files("medtrinity.recipes") / "data"
    recipes = [_parse(entry.read_text(encoding="utf-8"), entry.name) for entry in folder.iterdir()
               if entry.name.endswith(".yaml")]
    names = [recipe.name for recipe in recipes]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"recipes share names: {sorted(duplicates)}")
    return tuple(sorted(recipes, key=lambda recipe: recipe.name))


def get_recipe(name: str) -> Recipe:
    """The recipe named ``name``, or a KeyError listing the known names."""
    for recipe in all_recipes():
        if recipe.name == name:
            return recipe
    raise KeyError(f"no recipe named {name!r}; known: {', '.join(r.name for r in all_recipes())}")


def match_recipe(root: Path) -> Recipe | None:
    """The most specific recipe whose layout the folder ``root`` has, or None."""
    if not root.is_dir():
        return None
    found = [recipe for recipe in all_recipes() if recipe.matches(root)]
    return max(found, key=lambda recipe: recipe.specificity()) if found else None


def recipe_named_in(path: Path) -> Recipe | None:
    """The recipe one of whose aliases appears in ``path`` (lower-case, any separator), or None."""
    text = "/" + "/".join(part.lower().replace("-", "_").replace(" ", "_") for part in path.parts) + "/"
    for recipe in all_recipes():
        if any(alias.lower() in text for alias in recipe.aliases):
            return recipe
    return None
