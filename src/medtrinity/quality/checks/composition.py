"""``composition_mismatch``: a CT region said to be of fluid, fat, soft-tissue, gas or calcium attenuation whose
measured mean in HU is not that tissue's.

"A hypodense lesion of fluid attenuation" is what a model writes of any dark liver lesion; at a mean of 45 HU it
is solid tissue, and the word reads as a cyst. The ranges are wide, for a region's mean over its whole outline:
fluid -20..25 HU, fat up to -20 HU, soft tissue 15..100 HU, calcium from 130 HU, gas up to -300 HU. Only
regions measured in HU are judged (MRI "fluid signal" says something else), and only the candidates a clause
speaks of.
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, strip_labels
from medtrinity.quality.checks.regions import clauses
from medtrinity.quality.checks.shortcuts import literals, shortcuts_on
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue

CALCIUM_FROM_HU = 130.0  # a region's mean from which calcium is what it holds

# (tissue, words saying a region is of it, lowest and highest plausible mean HU of such a region)
_TISSUES: tuple[tuple[str, re.Pattern, float, float], ...] = (
    ("fluid", re.compile(r"(?<![a-z])((?:fluid|water|near-water)[- ](?:attenuation|attenuating|density|dense)"
                         r"|(?:attenuation|density) of (?:simple )?(?:fluid|water))(?![a-z])"), -20.0, 25.0),
    ("fat", re.compile(r"(?<![a-z])(fat(?:ty)?[- ](?:attenuation|attenuating|density|containing)|contains? "
                       r"(?:macroscopic )?fat)(?![a-z])"), float("-inf"), -20.0),
    ("soft tissue", re.compile(r"(?<![a-z])(soft[- ]tissue (?:attenuation|density))(?![a-z])"), 15.0, 100.0),
    ("calcium", re.compile(r"(?<![a-z])(calcified|calcific|calcium (?:attenuation|density))(?![a-z])"),
     CALCIUM_FROM_HU, float("inf")),
    ("gas", re.compile(r"(?<![a-z])((?:gas|air)[- ](?:attenuation|density|containing|filled)|contains? (?:gas|air))"
                       r"(?![a-z])"), float("-inf"), -300.0),
)
_HINTS = literals("fluid", "water", "fat", "soft", "calci", "gas", "air")


def check_composition(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A tissue named by its attenuation must be one the region's mean HU can be."""
    for sentence in (s for s in claims(sentences) if s.has_subject):
        if shortcuts_on() and not _HINTS.search(sentence.text):
            continue
        for clause, candidates in clauses(sentence, options):
            judged = [roi for roi in candidates if roi.intensity_unit == "HU" and roi.mean_intensity is not None]
            if not judged or len(judged) < len(candidates):
                continue
            text = strip_labels(facts, clause)
            for tissue, words, low, high in _TISSUES:
                found = words.search(text)
                if found and not any(low <= roi.mean_intensity <= high for roi in judged):
                    roi = judged[0]
                    return [QCIssue("composition_mismatch", f"text calls the {roi.label} {found.group(1)!r}; its mean "
                                                            f"is {roi.mean_intensity:.0f} HU, not {tissue}'s")]
    return []
