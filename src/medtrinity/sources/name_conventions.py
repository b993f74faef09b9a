"""Modality stated by a file name, by the conventions of the datasets that write it that way.

SAM-Med2D (SA-Med2D-20M) and many 2D slice exports prefix files with the modality (``ct_``, ``mr_``);
AMOS numbers its cases so that 0001-0499 are CT and 0500 and above MRI; TotalSegmentator cases (``s0000``)
are all CT. Readers use this per file with ``options.modality_from_name``; ``inspect`` reports it as read.
"""

from __future__ import annotations

import re

# a prefix naming the modality, as SAM-Med2D (SA-Med2D-20M) and many 2D slice exports write it
_PREFIX = re.compile(r"^(ct|mr|mri|pet|us|xray|x_ray|cxr|dx|cr|endoscopy|fundus|dermoscopy|histopathology)[_\-]",
                     re.IGNORECASE)
_PREFIX_MODALITY = {"ct": "ct", "mr": "mri", "mri": "mri", "pet": "pet", "us": "ultrasound", "xray": "xray",
                    "x_ray": "xray", "cxr": "xray", "dx": "xray", "cr": "xray", "endoscopy": "endoscopy",
                    "fundus": "fundus", "dermoscopy": "dermoscopy", "histopathology": "histopathology"}
_AMOS_CASE = re.compile(r"^amos_(\d{4})", re.IGNORECASE)  # AMOS: cases 0001-0499 CT, 0500 and above MRI
_TOTALSEG_CASE = re.compile(r"^s\d{4}(_|$)")  # TotalSegmentator cases s0000..s1428: all CT


def modality_from_name(name: str) -> tuple[str | None, str]:
    """(modality, which convention) stated by a file name, or (None, "")."""
    match = _PREFIX.match(name)
    if match:
        return _PREFIX_MODALITY[match.group(1).lower()], f"the file-name prefix {match.group(1)}_"
    match = _AMOS_CASE.match(name)
    if match:
        return ("mri" if int(match.group(1)) >= 500 else "ct"), "the AMOS case number (0500 and above are MRI)"
    if _TOTALSEG_CASE.match(name):
        return "ct", "the TotalSegmentator case name (s0000: CT)"
    return None, ""


def file_modality(reader, source_file: str) -> str:
    """A sample's modality: the file name's (with ``options.modality_from_name``), else the source's, else other."""
    from pathlib import Path

    if reader.options.modality_from_name:
        named = modality_from_name(Path(source_file).name)[0]
        if named:
            return named
    return reader.source.modality or "other"
