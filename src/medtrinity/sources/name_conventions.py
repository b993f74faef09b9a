"""Modality and body region stated by a file name, by the conventions of the datasets that write it that way.

SAM-Med2D (SA-Med2D-20M) and many 2D slice exports prefix files with the modality (``ct_``, ``mr_``);
AMOS numbers its cases so that 0001-0499 are CT and 0500 and above MRI; TotalSegmentator cases (``s0000``)
are all CT. Readers use this per file with ``options.modality_from_name``; ``inspect`` reports it as read.

Example and teaching collections name the body part in the file (pyradiomics' ``brain1_image.nrrd`` beside
``breast1_image.nrrd``): a source configured for one of them would describe the other as it. The pipeline
rejects such a file (``body_part_conflict``) and ``inspect`` asks for a source per body part.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from medtrinity.vocab.regions import regions_compatible, regions_of

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
    if reader.options.modality_from_name:
        named = modality_from_name(Path(source_file).name)[0]
        if named:
            return named
    return reader.source.modality or "other"


_NAME_WORDS = re.compile(r"[^a-z]+")


def regions_in_file_name(path: str) -> frozenset[str]:
    """The body regions the words of a file's name state (``breast1_image.nrrd``: breast), by the same terms the
    verifier reads a text's regions with; folders are not read (``images/``, ``train/`` say nothing)."""
    words = _NAME_WORDS.sub(" ", Path(path).name.lower())  # an extension ("nii", "gz") is no region word
    # "head" alone names no region in a text (the head of the pancreas, the femoral head); as a file's word it does
    return regions_of(words) | ({"head"} if "head" in words.split() else set())


@lru_cache(maxsize=4096)  # asked once per slice: every slice of a volume shares its file
def body_part_conflict(source_file: str, body_part: str) -> str | None:
    """Why a file whose name states a body region far from the source's ``body_part`` cannot be described as it
    (``breast1_image.nrrd`` in a source set to brain), or None: a name that states no region, or a compatible one
    (a lung file in a chest or abdomen source), never conflicts."""
    configured = regions_of(body_part)
    named = regions_in_file_name(source_file) if source_file and configured else frozenset()
    if not named or any(regions_compatible(region, known) for region in named for known in configured):
        return None
    return (f"{source_file}: its name says {', '.join(sorted(named))}, but the source's body_part is {body_part!r}: "
            "give these files their own source with their body_part")
