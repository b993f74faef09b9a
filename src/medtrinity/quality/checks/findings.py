"""``finding_unsupported``: a finding or a device said to be present where nothing outlined or labelled one.

The most harmful thing a model adds to an image of healthy organs is a finding: "a nodule is present in the
liver", "a mass is seen in the left lung", "patchy opacities in both lungs". With a size or an intensity word
attached, the size and intensity checks catch it by accident (the organ's own facts disagree); said bare, every
other check passed it. Lines, tubes and implants are the same kind of claim ("an endotracheal tube is in
place", "a pacemaker is present"): a model adds them from the reports it learned from.

A finding noun (lesion, nodule, mass, tumour, opacity, infiltrate, abnormality, a focus, a hypodensity, an area
of low attenuation) is supported by any region of kind lesion, or by a label (a region's, a surrounding
structure's or the image's) naming that noun; free air or fluid, increased lung markings and a device only by a
label naming them (a tumour's outline shows no free fluid). A denial ("no focal lesion", "no mass is seen") is
no presence claim: the assessment check judges absence. A diagnosis word ("cyst", "consolidation") is the
diagnosis check's.
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims
from medtrinity.quality.checks.shortcuts import literals, may_match
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue

# stem -> the words a label may use for it
_FINDINGS: dict[str, tuple[str, ...]] = {
    "lesion": ("lesion",), "nodule": ("nodul",), "mass": ("mass",), "tumour": ("tumo", "neoplas", "cancer"),
    "opacity": ("opacit",), "infiltrate": ("infiltrat",), "abnormality": ("abnormal",),
    # a fundus photograph's findings (the fundus expert outlines candidates only where a label reports retinopathy)
    "drusen": ("drusen",), "exudate": ("exudat",), "microaneurysm": ("microaneurysm", "retinopathy"),
    "cotton wool spot": ("cotton wool", "retinopathy"),
    # a focus, a density or an area of changed attenuation named as a finding; free air or fluid; lung markings
    "focus": ("focus", "foci", "lesion"), "hypodensity": ("hypodens", "lesion"), "hyperdensity": ("hyperdens",),
    "area": ("lesion",),
}
# findings no lesion region stands for (a tumour's outline does not show free fluid): only a label names them
_SPREAD: dict[str, tuple[str, ...]] = {
    "free air": ("free air", "pneumoperitoneum"), "free gas": ("free air", "pneumoperitoneum"),
    "free fluid": ("free fluid", "ascites"), "markings": ("interstitial", "marking", "fibrosis"),
}
_SPREAD_FINDING = re.compile(r"(?<![a-z])(free (?:intraperitoneal )?(?:air|gas|fluid)"
                             r"|(?:increased|prominent|coarse|interstitial|reticular|reticulonodular) (?:lung "
                             r"|interstitial )?markings)(?![a-z])")
_SPREAD_HINT = literals("free ", "markings")
_FINDING = re.compile(r"(?<![a-z])(lesions?|nodules?|nodular opacit(?:y|ies)|mass(?:es)?(?! effect)|tumou?rs?"
                      r"|opacit(?:y|ies)|infiltrates?|abnormalit(?:y|ies)|drusen|(?:hard |soft )?exudates?"
                      r"|microaneurysms?|cotton[- ]wool spots?"
                      r"|(?:hypo|hyper)(?:attenuating|dense|intense|echoic|enhancing) (?:focus|foci|areas?)"
                      r"|(?:small|tiny|punctate|focal|subcentimet(?:er|re)) (?:focus|foci)|a focus|foci"
                      r"|(?:hypo|hyper)(?:densit|intensit|attenuation|echogenicit)(?:y|ies)"
                      r"|(?:focal )?areas? of (?:low|high|increased|decreased|reduced|abnormal) (?:attenuation|density"
                      r"|signal|signal intensity|echogenicity|enhancement|opacity))(?![a-z])")
_DEVICES: dict[str, tuple[str, ...]] = {
    "tube": ("tube",), "line": ("line", "catheter"), "catheter": ("catheter", "line"), "pacemaker": ("pacemaker",
    "pacer", "device"), "wires": ("wire",), "clips": ("clip",), "stent": ("stent",), "drain": ("drain",),
    "port": ("port",), "prosthesis": ("prosthe", "implant"), "implant": ("implant", "prosthe"),
}
_DEVICE = re.compile(r"(?<![a-z])((?:endotracheal|tracheostomy|nasogastric|orogastric|feeding|chest|ng|et) tubes?"
                     r"|(?:central (?:venous )?|picc |arterial |venous )(?:line|catheter)s?|catheters?"
                     r"|pacemakers?|pacer|(?:sternotomy |surgical |cerclage )?wires|(?:surgical )?clips|stents?"
                     r"|(?:surgical|chest|pigtail|percutaneous) drains?|port-a-cath|chemo ?port|infusion port"
                     r"|prosthes[ie]s|implants?)(?![a-z])")
# in every finding, and in every device ("line" only after a word: " line"; "port" only in the ports named)
_FINDING_HINT = literals("lesion", "nodul", "mass", "tumo", "opacit", "infiltrat", "abnormal", "drusen", "exudat",
                         "microaneurysm", "cotton", "focus", "foci", "dense area", "intense area", "echoic area",
                         "attenuating area", "enhancing area", "hypodensit", "hyperdensit", "hypointensit",
                         "hyperintensit", "hypoattenuation", "hyperattenuation", "hypoechogenicit", "hyperechogenicit",
                         "of low", "of high", "of increased", "of decreased", "of reduced", "of abnormal")
# (not "area", "density", "intensity" or "attenuation" alone: true text holds them in most sentences)
_DEVICE_HINT = literals("tube", " line", "catheter", "pacemaker", "pacer", "wire", "clip", "stent", "drain",
                        "port-a", "chemo", "infusion port", "prosthe", "implant")
# a denial before the noun in its clause, or after it ("no mass is seen", "without a lesion", "is not seen")
_DENIED_BEFORE = re.compile(r"(?<![a-z])(?:no|not|without|negative for|free of|absence of|absent|nor|neither|"
                            r"rule out|ruled out|exclude[sd]?)(?![a-z])")
_DENIED_AFTER = re.compile(r"^[^.;,]{0,40}?(?:(?:is|are|was|were) (?:not|no longer)|absent|excluded)(?![a-z])")
_CLAUSE_START = re.compile(r"[;,:]|\b(?:and|but|while|whereas)\b")


def _stem(noun: str, table: dict[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
    for stem, words in table.items():
        if any(word in noun for word in words) or stem in noun:
            return stem, words
    return noun, (noun,)


def _denied(text: str, start: int, end: int) -> bool:
    """Whether the noun at ``start:end`` is denied within its clause."""
    clause_start = max((m.end() for m in _CLAUSE_START.finditer(text, 0, start)), default=0)
    return _DENIED_BEFORE.search(text, clause_start, start) is not None or \
        _DENIED_AFTER.search(text[end:]) is not None


def check_findings(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A finding needs a lesion region or a label naming it; a line, tube or implant needs a label naming it."""
    labels = facts.label_text
    has_lesion = any(roi.kind == "lesion" for roi in facts.rois)
    families = ([] if has_lesion else [(_FINDING, _FINDING_HINT, _FINDINGS, "finding")]) + \
        [(_SPREAD_FINDING, _SPREAD_HINT, _SPREAD, "spread"), (_DEVICE, _DEVICE_HINT, _DEVICES, "device")]
    for sentence in claims(sentences):
        text = sentence.text
        for pattern, hint, table, what in families:
            if not may_match(hint, text):
                continue
            for match in pattern.finditer(text):
                stem, words = _stem(match.group(1), table)
                if any(word in labels for word in words) or _denied(text, match.start(), match.end()):
                    continue
                return [QCIssue("finding_unsupported", f"text says {match.group(1)!r} is present; no region or "
                                                       f"label marks {'any finding' if what == 'finding' else stem}")]
    return []
