"""The one modality vocabulary: codes, display names, and the aliases DICOM, nnU-Net and file names use.

Every table that once lived beside a reader, the composer, the verifier or the knowledge base is a
view of :data:`MODALITY_TABLE`; adding a modality means adding one entry here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Modality:
    """One imaging modality and every way it is named.

    ``name``: the word a description uses ("MRI"); ``long_name``: the knowledge base's heading
    ("MRI (magnetic resonance imaging)"); ``query_word``: the word a retrieval query uses ("" = none);
    ``claims``: words that, found in a text, claim this modality (the verifier checks them);
    ``dicom_codes``: DICOM (0008,0060) Modality values; ``channel_names``: nnU-Net ``channel_names``
    (lower-case, spaces removed); ``path_words``: words in a file or folder name that suggest it;
    ``intensity_words``: darker / similar / brighter than the surroundings, in the modality's own words.
    ``zero_is_no_signal``: a pixel value of 0 means no signal (MRI magnitude, PET counts, a photograph's black),
    so a ratio of two means is a fact of the tissue; not so for a CT or radiograph stored through a display
    window (0 is the window's floor) nor for log-compressed, gain-dependent ultrasound.
    ``projection``: each pixel sums every tissue along the beam (a radiograph), so the grey texture inside a
    region is the overlap of ribs, vessels and soft tissue, no fact of the region itself.
    ``speckle``: uniform tissue shows a grainy interference pattern (its grain a resolution cell, 0.3-1 mm) that
    averaging over a few millimetres removes, and without the pixel spacing nothing says how many pixels that is.
    """

    code: str
    name: str
    long_name: str
    query_word: str
    claims: tuple[str, ...] = ()
    dicom_codes: tuple[str, ...] = ()
    channel_names: tuple[str, ...] = ()
    path_words: tuple[str, ...] = ()
    intensity_words: tuple[str, str, str] | None = None
    zero_is_no_signal: bool = False
    projection: bool = False
    speckle: bool = False


GENERIC_INTENSITY_WORDS: tuple[str, str, str] = ("darker", "of similar brightness", "brighter")

MODALITY_TABLE: tuple[Modality, ...] = (
    Modality("ct", "CT", "CT (computed tomography)", "CT", ("ct", "computed tomography"),
             ("CT",), ("ct", "cect", "noncontrast", "venous", "arterial"), ("ct",),
             ("hypodense", "isodense", "hyperdense")),
    Modality("mri", "MRI", "MRI (magnetic resonance imaging)", "MRI", ("mri", "mr", "magnetic resonance"),
             ("MR",), ("mri", "mr", "t1", "t1w", "t2", "t2w", "flair", "adc", "t1gd", "t1ce", "dwi", "hbv", "pd"),
             ("mri", "mr"), ("hypointense", "isointense", "hyperintense"), True),
    Modality("xray", "X-ray", "X-ray (radiograph)", "X-ray", ("x-ray", "radiograph", "radiography"),
             ("CR", "DX", "MG", "RF", "XA"), ("xray", "x-ray", "cxr"), ("xray", "x-ray", "cxr", "chest"),
             ("lucent", "of similar opacity", "opaque"), projection=True),
    Modality("ultrasound", "ultrasound", "ultrasound (sonography)", "ultrasound",
             ("ultrasound", "sonograph", "sonography"), ("US",), ("us", "ultrasound"), ("ultrasound", "us"),
             ("hypoechoic", "isoechoic", "hyperechoic"), speckle=True),
    Modality("pet", "PET", "PET (positron emission tomography)", "PET", ("pet", "positron emission"),
             ("PT", "NM"), ("pet",), ("pet",),
             ("with reduced uptake", "with similar uptake", "with increased uptake"), True),
    Modality("histopathology", "histopathology", "histopathology (H&E stained tissue)", "histopathology",
             ("histopathology", "histolog", "h&e"), ("SM",), (), ("histo", "patholog"),
             zero_is_no_signal=True),
    Modality("dermoscopy", "dermoscopy", "dermoscopy (skin lesion imaging)", "dermoscopy", ("dermoscop",),
             ("XC",), (), ("derm", "isic"), zero_is_no_signal=True),
    Modality("endoscopy", "endoscopy", "endoscopy", "endoscopy", ("endoscop", "colonoscop"), ("ES",), (),
             ("endoscop", "polyp"), zero_is_no_signal=True),
    Modality("fundus", "fundus photography", "fundus photography (retina)", "fundus", ("fundus",), ("OP",), (),
             ("fundus", "retina"),
             zero_is_no_signal=True),
    Modality("microscopy", "microscopy", "microscopy (cells and smears)", "microscopy", ("microscop",), (),
             ("microscopy",), (), zero_is_no_signal=True),
    Modality("other", "medical", "", "", channel_names=("rgb",)),
)

MODALITY_BY_CODE: dict[str, Modality] = {modality.code: modality for modality in MODALITY_TABLE}

MODALITIES: tuple[str, ...] = tuple(MODALITY_BY_CODE)
"""Every modality code a Sample may carry (``other`` last)."""

IMAGED_MODALITIES: tuple[str, ...] = tuple(code for code in MODALITIES if code != "other")

MODALITY_NAMES: dict[str, str] = {m.code: m.name for m in MODALITY_TABLE}
# where a region's mean may be stated as a percentage of its surroundings' mean
RATIO_SCALE_MODALITIES: frozenset[str] = frozenset(m.code for m in MODALITY_TABLE if m.zero_is_no_signal)
PROJECTION_MODALITIES: frozenset[str] = frozenset(m.code for m in MODALITY_TABLE if m.projection)
SPECKLE_MODALITIES: frozenset[str] = frozenset(m.code for m in MODALITY_TABLE if m.speckle)


def ratio_of_means_percent(mean: float | None, contrast: float | None, unit: str, modality: str) -> float | None:
    """How far a region's mean lies from its surroundings' mean (``mean - contrast``), in percent of the latter.

    Only where a pixel value of 0 means no signal (MRI, PET, photographs), so that a ratio of means says
    something. Never with HU (its difference is stated in HU), on CT or radiographs (a CT without HU is a window
    rescaled to 0..1 or 0..255 and a radiograph's PNG a display window, whose 0 is the window's floor: "193%
    above it" would measure the window, not the tissue), nor on log-compressed, gain-dependent ultrasound.
    The composer's phrase and the verifier's check both ask here.
    """
    if mean is None or contrast is None or unit == "HU" or modality not in RATIO_SCALE_MODALITIES:
        return None
    surround = mean - contrast
    return None if abs(surround) < 1e-6 else 100.0 * contrast / abs(surround)


LONG_MODALITY_NAMES: dict[str, str] = {m.code: m.long_name for m in MODALITY_TABLE if m.code != "other"}
QUERY_WORDS: dict[str, str] = {m.code: m.query_word for m in MODALITY_TABLE}
MODALITY_CLAIMS: dict[str, tuple[str, ...]] = {m.code: m.claims for m in MODALITY_TABLE if m.claims}
DICOM_MODALITY: dict[str, str] = {code: m.code for m in MODALITY_TABLE for code in m.dicom_codes}
CHANNEL_MODALITY: dict[str, str] = {word: m.code for m in MODALITY_TABLE for word in m.channel_names}
INTENSITY_WORDS: dict[str, tuple[str, str, str]] = {
    **{m.code: m.intensity_words for m in MODALITY_TABLE if m.intensity_words is not None},
    "colour": GENERIC_INTENSITY_WORDS,
}


def modality_name(modality: str) -> str:
    """The word a description uses for a modality code ('mri' -> 'MRI'); an unknown code is returned as is."""
    return MODALITY_NAMES.get(modality, modality)


def modality_from_dicom(code: str) -> str | None:
    """DICOM Modality (0008,0060) -> our code ('MR' -> 'mri'); None for codes that are not images we know."""
    return DICOM_MODALITY.get(code.strip().upper())


def modality_from_channel_name(name: str) -> str | None:
    """nnU-Net ``channel_names`` entry -> our code ('T2W' -> 'mri', 'CT' -> 'ct'); None when unknown."""
    return CHANNEL_MODALITY.get(name.strip().lower().replace(" ", ""))


_PATH_ORDER = ("ct", "mri", "xray", "pet", "ultrasound", "fundus", "dermoscopy", "endoscopy", "histopathology")
_PATH_WORDS: tuple[tuple[str, str], ...] = tuple(
    (word, code) for code in _PATH_ORDER for word in MODALITY_BY_CODE[code].path_words
)


def modality_from_path(text: str) -> str | None:
    """Guess a modality from words in a file or folder name ('.../BraTS_mri/...' -> 'mri'); None when none fits.

    A word counts where it starts a name part (after a separator), so 'us' matches 'us_images' but not 'thorus'.
    """
    lowered = text.lower()
    for word, code in _PATH_WORDS:
        if re.search(rf"(^|[^a-z]){re.escape(word)}", lowered):
            return code
    return None
