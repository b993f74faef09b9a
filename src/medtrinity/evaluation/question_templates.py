"""Question wordings per kind. ``{x}`` is the referring expression ("the lesion", "the spleen").

Each kind has several wordings so a model trained on the pairs does not learn one sentence; the
generator picks one per row by a stable hash. Every wording of a closed kind asks the same
proposition, so the answer does not depend on the wording chosen.
"""

from __future__ import annotations

OPEN_TEMPLATES: dict[str, tuple[str, ...]] = {
    "modality": ("What imaging modality was used for this image?", "What kind of imaging is this?",
                 "Which modality is shown in this image?", "How was this image acquired?"),
    "plane": ("In which plane is this image acquired?", "What is the imaging plane?",
              "Which plane is this slice in?"),
    "sequence": ("Which MRI sequence is this?", "What MR sequence was used for this image?",
                 "Which sequence does this MR image show?"),
    "organ": ("Which organ contains {x}?", "In which organ is {x} located?", "What organ is {x} in?"),
    "side": ("On which side of the patient is {x}?", "Which side of the patient's body is {x} on?",
             "{X} lies on which side of the patient?"),
    "size": ("What is the largest diameter of {x}?", "How long is {x} along its longest axis?",
             "What is the maximum diameter of {x} in this image?"),
    "count": ("How many {things} are seen in this image?", "How many {things} are there?",
              "What is the number of {things} visible?"),
}

CLOSED_TEMPLATES: dict[str, tuple[str, ...]] = {
    "modality": ("Is this {a_modality} image?", "Was this image acquired with {modality}?",
                 "Is the modality of this image {modality}?"),
    "plane": ("Is this {a_plane} image?", "Was this image taken in the {plane} plane?", "Is this slice {plane}?"),
    "sequence": ("Is this {a_sequence} image?", "Was this MR image acquired as {a_sequence} sequence?"),
    "organ": ("Is {x} in the {organ}?", "Is {x} located in the {organ}?", "Does {x} lie within the {organ}?"),
    "side": ("Is {x} on the patient's {side} side?", "Is {x} located on the patient's {side}?",
             "Does {x} lie on the {side} side of the patient?"),
    "size": ("Is {x} larger than {threshold_cm} cm?", "Does {x} measure more than {threshold_cm} cm across?",
             "Is the largest diameter of {x} greater than {threshold_cm} cm?"),
    "count": ("Is there more than one {thing} in this image?", "Are there several {things} in this image?",
              "Is more than one {thing} seen?"),
    "presence": ("Is {x} visible in this image?", "Can {x} be seen in this image?", "Does this image show {x}?"),
}


_SPOKEN_AS_WORD = {"FLAIR", "STIR", "DICOM"}


def article(phrase: str) -> str:
    """'an' before a vowel sound (an MRI, an X-ray, an axial, an ultrasound), else 'a' (a CT, a FLAIR)."""
    first = phrase.split()[0].split("-")[0] if phrase else ""
    if first.isupper() and first not in _SPOKEN_AS_WORD:
        return "an" if first[0] in "AEFHILMNORSX" else "a"  # read letter by letter
    return "an" if first[:1].lower() in "aeiou" else "a"


def with_article(phrase: str) -> str:
    return f"{article(phrase)} {phrase}"
