"""Acquisition facts from DICOM headers and BIDS sidecars, as vocabulary tokens (never free text).

The shared contract (``Sample.metadata`` keys, allow-listed in ``preprocess/deid.py``):

* ``mr_sequence``: sorted list of tokens from :data:`MR_SEQUENCE_TOKENS`
* ``fat_saturated``: bool, ``contrast_enhanced``: bool
* ``view_position``: one of pa, ap, lateral, oblique
* ``ct_phase``: one of non_contrast, arterial, portal_venous, delayed

Series descriptions and protocol names can carry names and dates, so they are only *matched* against
fixed word lists here; nothing of them is copied. A fact the header does not state is left out, not guessed.
"""

from __future__ import annotations

import re
from typing import Any

MR_SEQUENCE_TOKENS = ("t1", "t2", "flair", "dwi", "adc", "stir", "pd", "swi", "gre", "dce")
VIEW_POSITIONS = ("pa", "ap", "lateral", "oblique")
CT_PHASES = ("non_contrast", "arterial", "portal_venous", "delayed")

# word pattern (on lower-case text with separators turned into spaces) -> token
_MR_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bflair\b|\bt2 ?fl(air)?\b|\bdark ?fluid\b", "flair"),
    (r"\bt1(w|wi)?\b|\bt1 ?(se|tse|fse|mprage|vibe|space|fl2d|fl3d)\b|\bmprage\b|\bspgr\b|\bvibe\b|\blava\b|\bthrive\b"
     r"|\bt1\w*", "t1"),
    (r"\bt2(w|wi)?\b|\bt2 ?(se|tse|fse|space|haste|blade|propeller)\b|\bhaste\b|\bssfse\b|\bt2(?!\*)\w*", "t2"),
    (r"\bdwi\b|\bdiffusion\b|\bdw\b|\bep2d ?diff\b|\btrace ?w\b|\bb ?\d{3,4}\b", "dwi"),
    (r"\badc\b|\bapparent diffusion\b", "adc"),
    (r"\bstir\b|\btirm\b", "stir"),
    (r"\bpd(w|wi)?\b|\bproton density\b", "pd"),
    (r"\bswi\b|\bsusceptibility\b", "swi"),
    (r"\bgre\b|\bt2 ?\*|\bt2star\b|\bgradient echo\b|\bmedic\b|\bmerge\b", "gre"),
    (r"\bdce\b|\bdyn\b|\bdynamic\b|\bperfusion\b|\btwist\b|\bdisco\b", "dce"),
)
_FAT_SAT = r"\bfs\b|\bfat ?sat\w*\b|\bfat ?supp\w*\b|\bspair\b|\bspir\b|\bdixon w?\b|\bfatsat\b|\bchess\b|\bwater\b"
_POST_CONTRAST = (r"\bt1 ?ce\b|\bt1c\b|\bt1 ?gd\b|\bt1 ?post\b|\bpost\b|"
                  r"\bpostcontrast\b|\b\+ ?c\b|\bgd\b|\bgad\w*\b|\bcontrast\b|\bce\b|\bc\+|\benhanced\b|\bpostgd\b")
_PRE_CONTRAST = r"\bpre\b|\bprecontrast\b|\bnon ?contrast\b|\bwithout contrast\b|\bnative\b|\bunenhanced\b|\bplain\b"
_CT_PHASE_WORDS: tuple[tuple[str, str], ...] = (
    (r"\bnon ?contrast\b|\bunenhanced\b|\bnative\b|\bplain\b|\bpre ?contrast\b|\bnc\b|\bnon con\b", "non_contrast"),
    (r"\barterial\b|\bart\b|\bcta\b|\bangio\w*\b|\blate arterial\b", "arterial"),
    (r"\bportal\b|\bportal ?venous\b|\bpv\b|\bvenous\b|\bpvp\b", "portal_venous"),
    (r"\bdelayed\b|\bequilibrium\b|\blate\b|\bexcretory\b|\burographic\b", "delayed"),
)
_VIEWS = {"PA": "pa", "AP": "ap", "LL": "lateral", "RL": "lateral", "LAT": "lateral", "LATERAL": "lateral",
          "LLD": "lateral", "RLD": "lateral", "LAO": "oblique", "RAO": "oblique", "LPO": "oblique", "RPO": "oblique",
          "OBL": "oblique", "OBLIQUE": "oblique"}


def _words(*values: Any) -> str:
    parts = []
    for value in values:
        if value is None:
            continue
        items = value if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue" else [value]
        parts += [str(item) for item in items]
    text = " ".join(parts).lower()
    return " " + re.sub(r"[_\-/\\.,;:()\[\]]+", " ", text) + " "


def view_position_token(value: str) -> str | None:
    """A radiograph's view as stored (``PA``, ``AP``, ``LL``, ``Lateral``, ``RAO``) -> pa, ap, lateral, oblique."""
    return _VIEWS.get(value.strip().upper())


def mr_sequence_tokens(text: str, scanning_sequence: str = "", sequence_variant: str = "",
                       inversion_time_ms: float | None = None) -> list[str]:
    """MR sequence families named in a description (already lower-cased words) and the sequence tags."""
    found = {token for pattern, token in _MR_WORDS if re.search(pattern, text)}
    scanning = scanning_sequence.upper()
    if "IR" in scanning.split() and inversion_time_ms is not None:
        if inversion_time_ms >= 1500:
            found.add("flair")
        elif inversion_time_ms <= 250:
            found.add("stir")
    if "GR" in scanning.split() and not found:
        found.add("gre")
    if "flair" in found:
        found.discard("t2")  # "T2 FLAIR" is a FLAIR
    if "adc" in found and not re.search(r"\bdwi\b|\bdiffusion\b", text):
        found.discard("dwi")  # an ADC map is not the diffusion-weighted image itself
    return sorted(found)


def dicom_acquisition_facts(dataset) -> dict[str, Any]:
    """The contract's acquisition facts that a DICOM header states (empty where it states none)."""
    modality = str(dataset.get("Modality", "") or "")
    text = _words(dataset.get("SeriesDescription"), dataset.get("ProtocolName"), dataset.get("SequenceName"),
                  dataset.get("ImageType"), dataset.get("ContrastBolusAgent"))
    facts: dict[str, Any] = {}
    agent = str(dataset.get("ContrastBolusAgent", "") or "").strip()
    if agent or dataset.get("ContrastBolusRoute") or dataset.get("ContrastBolusVolume"):
        facts["contrast_enhanced"] = True
    elif re.search(_PRE_CONTRAST, text):
        facts["contrast_enhanced"] = False
    elif re.search(_POST_CONTRAST, text):
        facts["contrast_enhanced"] = True
    if modality == "MR":
        inversion = dataset.get("InversionTime")
        tokens = mr_sequence_tokens(text, str(dataset.get("ScanningSequence", "") or ""),
                                    str(dataset.get("SequenceVariant", "") or ""),
                                    float(inversion) if inversion not in (None, "") else None)
        if tokens:
            facts["mr_sequence"] = tokens
        options = {str(v).upper() for v in (dataset.get("ScanOptions") or [])} if not isinstance(
            dataset.get("ScanOptions"), str) else {dataset.get("ScanOptions").upper()}
        if "FS" in options or "SFS" in options or re.search(_FAT_SAT, text) or "stir" in tokens:
            facts["fat_saturated"] = True
    if modality == "CT":
        phase = next((token for pattern, token in _CT_PHASE_WORDS if re.search(pattern, text)), None)
        if phase is None and facts.get("contrast_enhanced") is False:
            phase = "non_contrast"
        if phase:
            facts["ct_phase"] = phase
            if phase != "non_contrast":
                facts["contrast_enhanced"] = True
    view = str(dataset.get("ViewPosition", "") or "").strip().upper()
    if view in _VIEWS:
        facts["view_position"] = _VIEWS[view]
    elif modality in ("CR", "DX") and re.search(r"\bpa\b|\bp a\b|posteroanterior", text):
        facts["view_position"] = "pa"
    elif modality in ("CR", "DX") and re.search(r"\bap\b|anteroposterior", text):
        facts["view_position"] = "ap"
    elif modality in ("CR", "DX") and re.search(r"\blat\w*\b", text):
        facts["view_position"] = "lateral"
    return facts


def bids_acquisition_facts(suffix: str, sidecar: dict[str, Any]) -> dict[str, Any]:
    """Facts from a BIDS file's suffix (``T1w``, ``FLAIR``, ``dwi``...) and its JSON sidecar."""
    facts: dict[str, Any] = {}
    lowered = suffix.lower()
    token = {"t1w": "t1", "t2w": "t2", "flair": "flair", "dwi": "dwi", "pdw": "pd", "t2starw": "gre",
             "swi": "swi", "stir": "stir", "adc": "adc", "pd": "pd", "t1map": "t1", "t2map": "t2"}.get(lowered)
    text = _words(sidecar.get("SeriesDescription"), sidecar.get("ProtocolName"), sidecar.get("ScanOptions"),
                  sidecar.get("ImageType"))
    tokens = set(mr_sequence_tokens(text, str(sidecar.get("ScanningSequence", "") or "")))
    if token:
        tokens.add(token)
    if tokens:
        facts["mr_sequence"] = sorted(tokens)
    options = sidecar.get("ScanOptions") or []
    options = [options] if isinstance(options, str) else options
    if any(str(o).upper() in ("FS", "SFS") for o in options) or re.search(_FAT_SAT, text):
        facts["fat_saturated"] = True
    if sidecar.get("ContrastBolusIngredient") or sidecar.get("ContrastBolusAgent") or re.search(
            _POST_CONTRAST, " " + suffix.lower() + text):
        facts["contrast_enhanced"] = True
    return facts
