"""Refuse configs whose modality or label names are placeholders: they become descriptions of nothing.

``inspect`` writes a config even where the files do not say what they are: a missing modality (the
study becomes "a medical image") or a mask value named "region 1" (an organ called "region 1", and
the tumour it is gets "no lesion is marked"). ``medtrinity run`` refuses such a config, naming the
field, unless the user passes ``--allow-placeholders``.
"""

from __future__ import annotations

import re

from medtrinity.config import RunConfig
from medtrinity.registry import registry

# readers that read the modality from the files themselves (DICOM tags, nnU-Net channel names, the phantom)
READERS_THAT_KNOW_MODALITY: frozenset[str] = frozenset({"dicom_files", "dicom_series", "nnunet", "phantom", "wsi"})
PLACEHOLDER_LABEL = re.compile(r"^\s*(?:region|label|overlay region|class|segment|roi|mask|object|structure)"
                               r"[\s_-]*\d+\s*$", re.IGNORECASE)


def _modality_from_name(source) -> bool:
    """Whether the source's reader takes each file's modality from its name (a 2D reader's option)."""
    options = registry("readers").validate_options(source.reader, source.options, f"source {source.name!r} options")
    return bool(getattr(options, "modality_from_name", False))  # volume readers have no such option


def placeholder_problems(config: RunConfig) -> list[str]:
    """One line per placeholder field, naming the source and the field ('' list when none)."""
    problems = []
    for index, source in enumerate(config.sources):
        where = f"sources[{index}] ({source.name})"
        if source.modality == "other":
            problems.append(f"{where}.modality is 'other': set ct, mri, xray, ultrasound, pet, ... "
                            f"(descriptions would call it 'a medical image')")
        elif source.modality is None and source.reader not in READERS_THAT_KNOW_MODALITY and \
                not _modality_from_name(source):
            problems.append(f"{where}.modality is not set and the {source.reader} reader cannot read it from the "
                            f"files: set ct, mri, xray, ...")
        for value, name in sorted(source.label_names.items()):
            if PLACEHOLDER_LABEL.match(str(name)):
                problems.append(f"{where}.label_names[{value}] is the placeholder {name!r}: name what the mask "
                                f"shows (e.g. 'liver lesion', 'left kidney')")
    return problems
