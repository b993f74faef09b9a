"""``assessment_unsupported``: how the image was taken or how good it is, against what the metadata records.

The slice thickness a text gives ("5 mm slices") must be one the metadata records (DICOM slice thickness or
spacing, or a voxel spacing); where none is recorded (a PNG slice) it is not judged. A tube voltage ("120 kVp")
must be the header's KVP (``number_unsupported``), and where no header records one it is not said.

"This is a portable AP film" of a film the metadata calls PA, "the patient is supine", "there is motion
artifact", "the study is of diagnostic quality": a model reads the technique off the picture or off the reports
it learned from. The view is judged against the recorded one (where none is recorded it is not judged, as the
study's contrast); the patient's position, artifacts and image quality are never measured, so they are not said.
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims
from medtrinity.quality.checks.shortcuts import literals, may_match
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue

_VIEWS = {"ap": re.compile(r"(?<![a-z])(ap|anteroposterior|antero-posterior|portable)(?:\s+\(ap\))?\s+(?:view|film"
                           r"|projection|radiograph|chest|image|x-?ray)|(?<![a-z])(?:taken|obtained|acquired|performed)"
                           r" (?:in|as an?) (ap|anteroposterior)(?![a-z])"),
          "pa": re.compile(r"(?<![a-z])(pa|posteroanterior|postero-anterior)(?:\s+\(pa\))?\s+(?:view|film"
                           r"|projection|radiograph|chest|image|x-?ray)"),
          "lateral": re.compile(r"(?<![a-z])(lateral)\s+(?:view|film|projection|radiograph)")}
_VIEW_HINT = literals("ap ", "anteroposterior", "antero-posterior", "portable", "pa ", "posteroanterior",
                      "postero-anterior", "lateral", "(ap)", "(pa)")
# never measured: the patient's position, artifacts, image quality
_UNMEASURED = re.compile(r"(?<![a-z])(supine|prone|erect|upright|semi-?erect|decubitus|rotated|rotation"
                         r"|artifacts?|artefacts?|(?:image|diagnostic|study) quality|limited by|suboptimal"
                         r"|non-?diagnostic|well[- ]penetrated|under-?penetrated|over-?penetrated|adequate inspiration"
                         r"|poor inspiration|inspiration is (?:adequate|poor)|magnification|\d+x(?![a-z0-9])(?!\s*\d)"
                         r"|high[- ]power|low[- ]power)(?![a-z])")
_UNMEASURED_HINT = literals("supine", "prone", "erect", "upright", "decubitus", "rotat", "artifact", "artefact",
                            "quality", "limited by", "suboptimal", "diagnostic", "penetrated", "inspiration",
                            "magnification", "0x", "4x", "5x", "power")


def _view_issue(facts: SampleFacts, text: str) -> QCIssue | None:
    """A radiograph's view stated otherwise than the metadata records (as the study's contrast: where nothing
    records a view, a PA or AP is not judged)."""
    if facts.modality != "xray" or not facts.view_position or not may_match(_VIEW_HINT, text):
        return None
    for view, pattern in _VIEWS.items():
        found = pattern.search(text)
        if found is not None and view != facts.view_position:
            return QCIssue("assessment_unsupported", f"text calls the film {view.upper()} "
                                                     f"({found.group(0).strip()!r}); the metadata records "
                                                     f"{facts.view_position.upper()}")
    return None


# a slice thickness stated: "5 mm slices", "a 3-mm section", "slice thickness of 2.5 mm"
_SLICE = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:mm|millimet(?:re|er)s?)[\s-]+(?:thick\s+)?(?:axial\s+|contiguous\s+)?"
                    r"(?:slices?|sections?|cuts?|slice thickness|section thickness|collimation)(?![a-z])"
                    r"|(?:slice|section) (?:thickness|spacing|interval)\s+(?:of\s+|is\s+|was\s+|measures\s+)?"
                    r"(?:about\s+|approximately\s+)?(\d+(?:\.\d+)?)\s*(?:mm|millimet(?:re|er)s?)(?![a-z])")
# every slice thickness holds a slice word and a millimetre ("mm" or "millimet...")
_SLICE_HINT = literals("slice", "section", "cut", "collimation")
_MM_HINT = literals("mm", "millimet")
SLICE_TOLERANCE_MM = 0.25


def _slice_issue(facts: SampleFacts, text: str) -> QCIssue | None:
    """A slice thickness other than the metadata records (as the view: where none is recorded, not judged)."""
    if not facts.slice_mm or not may_match(_MM_HINT, text) or not may_match(_SLICE_HINT, text):
        return None
    for found in _SLICE.finditer(text):
        value = float(found.group(1) or found.group(2))
        if not any(abs(value - recorded) <= max(SLICE_TOLERANCE_MM, 0.1 * recorded) for recorded in facts.slice_mm):
            recorded = ", ".join(f"{mm:g} mm" for mm in facts.slice_mm)
            return QCIssue("assessment_unsupported", f"text states a slice thickness of {value:g} mm; the metadata "
                                                     f"records {recorded}")
    return None


# a tube voltage stated: "120 kVp", "at 140 kV"
_KVP = re.compile(r"(?<![\d.])(\d{2,3}(?:\.\d+)?)\s*-?\s*(?:kvp|kv)(?![a-z])")
_KVP_HINT = literals("kv")
KVP_TOLERANCE = 1.0


def _kvp_issue(facts: SampleFacts, text: str) -> QCIssue | None:
    """A tube voltage other than the DICOM header records, or one where none is recorded (a model's "120 kVp" is
    the common default, not a reading of this study)."""
    if not may_match(_KVP_HINT, text):
        return None
    found = _KVP.search(text)
    if found is None:
        return None
    value = float(found.group(1))
    if facts.kvp is None:
        return QCIssue("number_unsupported", f"text states {found.group(0)!r}; no tube voltage is recorded")
    if abs(value - facts.kvp) > KVP_TOLERANCE:
        return QCIssue("number_unsupported", f"text states {found.group(0)!r}; the header records {facts.kvp:g} kVp")
    return None


def check_technique(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """The view and slice thickness as recorded; no position, artifact or quality judgement."""
    for sentence in claims(sentences):
        text = sentence.text
        issue = _view_issue(facts, text) or _slice_issue(facts, text) or _kvp_issue(facts, text)
        if issue is not None:
            return [issue]
        found = _UNMEASURED.search(text) if may_match(_UNMEASURED_HINT, text) else None
        if found is not None:
            return [QCIssue("assessment_unsupported", f"text says {found.group(1)!r}; the patient's position, "
                                                      "artifacts, image quality and a microscope's magnification "
                                                      "are not measured")]
    return []
