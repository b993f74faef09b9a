"""``assessment_unsupported``: a lesion's internal feature, its compartment or an organ's prominence read by eye.

A model describing a finding adds what a radiologist looks for in one: "a fluid-fluid level", "cavitation", "air
bronchograms", "a ground-glass component", "exophytic", "septations", "posterior acoustic shadowing", "internal
vascularity", how it enhances ("ring enhancement", "enhances heterogeneously"); for a brain lesion, "intra-axial"
or "extra-axial", "cortically based", "a dural tail", its depth ("periventricular", "subcortical") or "crosses the
midline"; of a study, "oral contrast"; of a structure, "prominent", "fatty", "in its normal position"; of the
lungs, "well expanded"; of a breast lesion, its quadrant or clock position; of an optic disc or the retinal
vessels, pallor, cupping or tortuosity; of a skin lesion, its dermoscopic structures (pigment network, blue-white
veil, globules, streaks, asymmetry, several colours). Every other check passed such sentences (no number,
no disease word, the region named is the right one), yet nothing measured any of them: the pipeline measures a region's
size, place, mean and texture, not the features inside it, the compartment it arises from, or what was given by
mouth. A label naming the feature supports it ("cavitary lesion", "ground glass opacity").
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims
from medtrinity.quality.checks.shortcuts import literals, may_match
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue

_FEATURE = re.compile(
    r"(?<![a-z])(fluid[- ]fluid levels?|air[- ]fluid levels?|cavitat(?:ion|ing|ed)|cavitary|air[- ]bronchograms?"
    r"|ground[- ]glass|part[- ]solid|sub-?solid|exophytic|septat(?:ions?|ed)|mural nodules?"
    r"|(?:posterior )?acoustic (?:shadowing|enhancement)|internal vascularity|increased vascularity"
    r"|hyper-?vascular|hypo-?vascular|intra-?axial|extra-?axial|cortically based|dural tail|halo sign"
    r"|satellite (?:nodules?|lesions?)|fat planes?|smooth (?:capsule|surface)|oral contrast"
    r"|(?:is|are|appears?|looks?) prominent|prominence of"
    r"|(?:upper|lower) (?:outer|inner) quadrant|\d{1,2}(?::\d\d)? o'clock|(?:retro|sub)areolar"
    r"|pale|pallor|tortuous|tortuosity|cupping"
    # how a region enhances (an "enhancing lesion" label says that it does, not how); a brain lesion's depth
    r"|(?:ring|rim|peripheral|nodular|homogeneous|heterogeneous|patchy|avid|solid)(?:ly)?[- ]enhanc(?:ing|ement|es)"
    r"|enhances (?:homogeneously|heterogeneously|avidly|peripherally|uniformly)"
    r"|periventricular|juxtacortical|subcortical|(?:is|are|appears?|lies?) cortical|grey-white (?:matter )?junction"
    r"|gray-white (?:matter )?junction|crosses the midline|crossing the midline"
    # a lung's expansion, an organ's position or fat judged by eye
    r"|well[- ]expanded|hyperexpanded|(?:in|of) (?:a |the |its )?normal (?:position|location)|normally (?:positioned|"
    r"located|sited)|(?:is|are|appears?|looks?) fatty|fatty (?:infiltration|change|replacement|infiltrated)"
    # a fundus photograph read by eye: the foveal reflex, the disc margins, thin arteries; an image's focus
    r"|foveal (?:light )?reflex|(?:disc|disk) margins?|(?:is|are|appears?) attenuated|arteriolar narrowing"
    r"|well[- ]focused|out of focus|in focus"
    # a skin lesion's dermoscopic structures, read by eye (the pipeline measures its outline, size and colour)
    r"|(?:atypical |typical |reticular )?pigment network|blue-white (?:veil|structures?)"
    r"|(?:is|appears?|looks?) asymmetric(?! in size)|asymmetry (?:of|in) (?:shape|colou?r|structure|pigment\w*)"
    r"|(?:multiple|several|two|three) colou?rs|dots and globules|globules|streaks|regression structures?"
    r"|milia-like cysts?|comedo-like openings?|arborizing vessels|dotted vessels|pseudopods|radial streaming"
    r"|(?:is|are|appears?) pigmented"
    # an ultrasound lesion's orientation and behaviour under the probe; an endoscopic polyp's form
    r"|taller[- ]than[- ]wide|wider[- ]than[- ]tall|parallel (?:orientation|to the skin)|not parallel"
    r"|(?:is|appears?) (?:compressible|mobile)|echogenic rim|(?:flow|vascularity) on (?:colou?r )?doppler"
    r"|pedunculated|sessile|pit pattern"
    # a tissue section's cytology and architecture, read by eye (the pipeline measures regions' areas and places)
    r"|pleomorphi(?:c|sm)|mitos[ie]s|mitotic (?:figures?|activity|rate|count)|(?:form|forming|forms) glands"
    r"|gland formation|(?:well|moderately|poorly)[- ]differentiated|desmoplas(?:ia|tic)"
    r"|nuclear[- ]to[- ]cytoplasmic|n:c ratio|eosinophilic|basophilic|signet[- ]ring|prominent nucleoli"
    r"|hyperchromat(?:ic|ism)|keratin pearls|mucinous|lymphocytic infiltrat(?:e|ion))(?![a-z])")
# in every feature above (each alternative holds one; none of "axial", "enhanc", "margin", "midline" or "normal"
# alone, which true text holds in most sentences: "axial CT", "contrast-enhanced", "in the midline")
_HINT = literals("fluid level", "fluid-level", "cavit", "bronchogram", "glass", "solid", "exophytic", "septat",
                 "mural", "acoustic", "vascular", "intra", "extra", "cortically", "dural", "halo", "satellite",
                 "fat plane", "smooth", "oral contrast", "prominen", "quadrant", "o'clock", "areolar", "pale",
                 "pallor", "tortuo", "cupping", "ring", "rim", "peripheral", "nodular", "geneous enhanc",
                 "geneous-enhanc", "geneously enhanc", "geneously-enhanc", "patchy", "avid", "enhances ",
                 "ventricular", "cortical", "junction", "cross", "expanded", "normal position", "normal location",
                 "normally", "fatty", "foveal", "disc margin", "disk margin", "attenuated", "arteriolar", "focus",
                 "pigment", "blue-white", "asymmetr", "colors", "colours", "globule", "streaks", "regression",
                 "milia", "comedo", "arborizing", "dotted vessels", "pseudopod", "radial streaming", "than wide",
                 "than tall", "parallel", "compressible", "mobile", "echogenic rim", "doppler", "pedunculated",
                 "sessile", "pit pattern", "pleomorph", "mitos", "mitotic", "glands", "gland formation",
                 "differentiated", "desmoplas", "cytoplasmic", "n:c", "eosinophilic", "basophilic", "signet",
                 "nucleoli", "hyperchromat", "keratin", "mucinous", "lymphocytic")
_KEY = re.compile(r"[a-z]{4,}")  # the words of a feature a label must share to name it


def _labelled(feature: str, labels: str) -> bool:
    """Whether a label names the feature: it holds one of the feature's longer words' first five letters
    ("cavitary lesion" names "cavitation")."""
    return any(word[:5] in labels for word in _KEY.findall(feature) if word not in _NOT_KEYS)


# words too common in labels to say that a label names the feature ("enhancing lesion" names no ring enhancement)
_NOT_KEYS = {"level", "levels", "acoustic", "enhancing", "enhancement", "enhances", "lies", "appears", "looks",
             "normal", "position", "location", "midline", "crosses", "crossing", "matter", "junction", "well",
             "expanded", "disc", "disk", "margin", "margins", "focused", "focus", "reflex"}


def check_features(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A lesion's internal feature, compartment or an organ's prominence must be named by a label."""
    labels = facts.label_text
    for sentence in claims(sentences):
        if not may_match(_HINT, sentence.text):
            continue
        for match in _FEATURE.finditer(sentence.text):
            feature = match.group(1)
            if "enhanc" in feature and "enhanc" not in labels:
                continue  # any enhancement where no label says one: the assessment check's claim
            if not _labelled(feature, labels):
                return [QCIssue("assessment_unsupported", f"text says {feature!r}; nothing measured it (a region's "
                                                          "size, place, mean and texture are measured, not this) "
                                                          "and no label names it")]
    return []
