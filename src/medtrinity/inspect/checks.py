"""The last pass of ``inspect``: facts a source still lacks, said loudly, and placeholder label names caught.

A label named only by its number (``region 1``, ``Segment_1``, ``ROI-1``) names nothing a report can say.
Where the path names a known dataset (a recipe alias such as ``msd_lung``), the recipe's modality and label
names are taken, reported as guessed; otherwise the fact is reported UNKNOWN at the top of the config, and
``medtrinity run`` refuses such placeholders rather than describing "a medical image".
"""

from __future__ import annotations

from pathlib import Path

from medtrinity.inspect.common import Finding
from medtrinity.recipes import recipe_named_in
from medtrinity.sources.label_names import is_placeholder_name

PER_FILE_READERS = ("dicom_series", "dicom_files", "wsi", "bids")  # modality read from each file


def check_facts(finding: Finding) -> None:
    """Fill what a recipe named in the path can tell, and record every fact still unknown."""
    for source in finding.sources:
        name = source["name"]
        known = {fact for src, fact, _, how in finding.facts if src == name and not how.startswith("unknown")}
        placeholders = sorted(str(label) for label in (source.get("label_names") or {}).values()
                              if is_placeholder_name(str(label)) or str(label).lower().startswith("region "))
        lacks_modality = not source.get("modality") and source.get("reader") not in PER_FILE_READERS and not (
            source.get("options") or {}).get("modality_from_name")
        if lacks_modality or placeholders:
            _from_recipe_alias(source, finding, lacks_modality, placeholders)
            placeholders = [label for label in placeholders if label in (source.get("label_names") or {}).values()]
            lacks_modality = lacks_modality and not source.get("modality")
        if lacks_modality and "modality" not in known and not _already_unknown(finding, name, "modality"):
            finding.fact(name, "modality", None, "unknown: nothing in the files says it")
        if placeholders:
            finding.fact(name, "labels", placeholders, "unknown: the files number these regions "
                         f"({', '.join(placeholders)}) but do not name them; name them in `label_names`")


def _already_unknown(finding: Finding, source: str, fact: str) -> bool:
    return any(src == source and name == fact and how.startswith("unknown") for src, name, _, how in finding.facts)


def _from_recipe_alias(source: dict, finding: Finding, lacks_modality: bool, placeholders: list[str]) -> None:
    recipe = recipe_named_in(Path(str(source.get("path", ""))))
    if recipe is None:
        return
    name = source["name"]
    how = f"guessed from the path, which names {recipe.title} (recipe {recipe.name})"
    if lacks_modality:
        source["modality"] = recipe.modality
        finding.facts[:] = [f for f in finding.facts if not (f[0] == name and f[1] == "modality")]
        finding.fact(name, "modality", recipe.modality, how)
        if recipe.body_part and not source.get("body_part"):
            source["body_part"] = recipe.body_part
            finding.fact(name, "body_part", recipe.body_part, how)
            # the request to set it, made before the recipe was found, is answered (and to check, below)
            asked = f"{source.get('path')}: set `body_part` if the images show one"
            finding.todo[:] = [text for text in finding.todo if text != asked]
    numbered = source.get("label_names") or {}
    if placeholders and recipe.labels and set(numbered) <= set(recipe.labels):
        source["label_names"] = {value: recipe.labels[value] for value in numbered}
        if recipe.findings:
            source.setdefault("findings", list(recipe.findings))
        finding.fact(name, "labels", sorted(source["label_names"].values()), how)
    finding.todo.append(f"{source.get('path')}: {how}: check it")
