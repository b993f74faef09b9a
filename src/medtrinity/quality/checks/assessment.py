"""``assessment_unsupported``: a judgement of normality, absence, enlargement, mass effect or enhancement nothing
measured.

A language model describing an image adds a radiologist's reading: "the lungs are clear", "the remaining liver
parenchyma is unremarkable", "no focal lesion", "the liver is enlarged", "the mass compresses the kidney", "the
lesion shows rim enhancement on the arterial phase". Every other check passes such sentences (they name
labelled organs, no number, no disease), yet the pipeline measured none of them: no organ was found normal,
nothing was looked for and found absent, no organ's size was compared with a norm, no effect on a neighbour
and no enhancement across phases was measured. What was measured judges these instead:

- the heart's size against the cardiothoracic ratio (above 0.5 enlarged) on a film that is not AP (an AP film
  magnifies the heart: its ratio neither supports nor contradicts a size);
- the costophrenic angles (sharp, clear or preserved; blunted) against whether each lung reaches its lateral
  lowest point (``costophrenic_angle_visible``);
- enhancement where a label names it ("enhancing lesion") or the study is a contrast phase, which only the
  phase it is may be named;
- a disease word is the diagnosis check's (no cardiomegaly unless a label names it), a denied contact the
  adjacency check's. A sentence about the heart's size is judged by its ratio alone ("the heart and lungs are
  normal" on a film whose ratio is normal is flagged for the lungs, not the heart).
"""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.quality.checks.anatomy import anatomy_terms_in
from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims
from medtrinity.quality.checks.composition import CALCIUM_FROM_HU
from medtrinity.quality.checks.shortcuts import literals, may_match, trie_alternation
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import BOX_ORIGIN, QCIssue
from medtrinity.vocab.report_terms import DIAGNOSIS_TERMS

# said of a structure: it is normal, or something is absent
_NORMAL = re.compile(
    r"(?<![a-z])(unremarkable|within normal limits|normal (?:in )?(?:size|appearance|caliber|calibre|contours?"
    r"|morphology|attenuation|density|signal)|(?:is|are|appears?|looks?|seems?) (?:grossly )?normal(?![a-z])"
    r"|(?:lungs?|lung fields?) (?:is|are|appears?) clear|(?:is|are|appears?|remains?) (?:intact|preserved)"
    r"|no (?:evidence|signs?) of|no (?:focal|significant|acute|abnormal|suspicious|other|additional|obvious)(?![a-z])"
    r"|without (?:evidence|abnormalit|significant)|no abnormalit|not enlarged|no enlargement"
    r"|^no(?![a-z])|there (?:is|are) no(?![a-z])|(?:is|are) not (?:seen|identified|present|visible|demonstrated)"
    r"|(?:is|are) absent|absence of|negative for|(?:is|are|appears?|remains?) free of"
    r"|(?:is|are|appears?|looks?) healthy|normal (?:cup[- ]to[- ]disc|c/d|cardiothoracic) ratio)"
)
# what the annotation holds, not the body: "no other lesions are marked" (group 1: what is not marked)
ANNOTATED_ABSENCE = re.compile(r"(?<![a-z])no (?:other|further|additional|more) ([a-z ]{1,40}?) (?:is|are|was|were"
                               r"|has been|have been) (?:marked|annotated|labell?ed|outlined|segmented|delineated"
                               r"|drawn|boxed)(?![a-z])")
# said of a region's effect on its neighbours: nothing measures a mass effect
_MASS_EFFECT = re.compile(r"(?<![a-z])(compress(?:es|ing|ed|ion)?|displac(?:es|ing|ed|ement)|invad(?:es|ing|ed)"
                          r"|invasion|infiltrat(?:es|ing|ion)|obstruct(?:s|ing|ion)?|narrow(?:s|ing)|mass effect"
                          r"|effac(?:es|ing|ement)|encroach(?:es|ing)?|midline shift|shift of the midline"
                          r"|herniat(?:es|ing|ion|ed))(?![a-z])")
# said of an organ's size
_ENLARGED = re.compile(r"(?<![a-z])(enlarged|enlargement|increased in size|hepatomegaly|splenomegaly"
                       r"|(?:ratio|ctr) (?:is |appears |seems )?(?:increased|elevated|raised|high)"
                       r"|(?:increased|elevated|raised|high) (?:cardiothoracic ratio|ctr))(?![a-z])")
# said of an organ's state: distension, dilatation, collapse, wall thickening, patency, a nodular contour, a lung's
# inflation, a widened mediastinum, a raised or flattened hemidiaphragm
_STATE = re.compile(r"(?<![a-z])(distended|distension|distention|dilated|dilatation|dilation|collapsed|thickened"
                    r"|thickening|patent|patency|occluded|occlusion|thrombosed|nodular (?:contour|surface|outline)"
                    r"|hyperinflat(?:ed|ion)|hypoinflat(?:ed|ion)|(?:low|reduced|increased|high) lung volumes?"
                    r"|lung volumes? (?:is|are|appears?) (?:low|reduced|increased|high)"
                    r"|widen(?:ed|ing)|flatten(?:ed|ing)"
                    r"|(?<!ratio is )(?<!ratio )elevat(?:ed|ion)(?!\s+(?:signal|attenuation|intensity|density|uptake"
                    r"|cardiothoracic|ctr)))(?![a-z])")
# calcium said of a structure: measured only as a region's mean HU (the composition check's claim)
_CALCIFIED = re.compile(r"(?<![a-z])(calcif(?:ied|ications?|ic))(?![a-z])")
# the study's contrast, against what the metadata records
_WITHOUT_CONTRAST = re.compile(r"(?<![a-z])(non-?contrast|unenhanced|non-?enhanced|without (?:iv |intravenous )?"
                               r"contrast|plain (?:ct|film))(?![a-z])")
_WITH_CONTRAST = re.compile(r"(?<![a-z])(contrast[- ]enhanced|post-?contrast|with (?:iv |intravenous )?contrast"
                            r"|after (?:iv |intravenous )?contrast|gadolinium[- ]enhanced)(?![a-z])")
# an MRI sequence named: token -> its words (a vertebra "T1" is no sequence: only weighted, "on T1", "T1 hyper-")
_SEQUENCES: dict[str, re.Pattern] = {
    "t1": re.compile(r"(?<![a-z0-9])(t1[- ]?(?:weighted|w)(?![a-z])|on t1(?![a-z0-9])|t1 (?:hyper|hypo|iso)\w*)"),
    "t2": re.compile(r"(?<![a-z0-9])(t2[- ]?(?:weighted|w)(?![a-z])|on t2(?![a-z0-9*])|t2 (?:hyper|hypo|iso)\w*)"),
    "flair": re.compile(r"(?<![a-z])(flair)(?![a-z])"),
    "dwi": re.compile(r"(?<![a-z])(diffusion[- ]weighted|dwi|restricted diffusion|diffusion restriction"
                      r"|restricts diffusion)(?![a-z])"),
    "adc": re.compile(r"(?<![a-z])(adc)(?![a-z])"),
    "stir": re.compile(r"(?<![a-z])(stir)(?![a-z])"),
    "swi": re.compile(r"(?<![a-z])(susceptibility[- ]weighted|swi|blooming)(?![a-z])"),
    "pd": re.compile(r"(?<![a-z])(proton[- ]density)(?![a-z])"),
}
_HEART = re.compile(r"(?<![a-z])(heart|cardiac|cardiothoracic)(?![a-z])")
# said of a region's enhancement or of the study's phase; the study's own "contrast-enhanced" is the modality's
_ENHANCEMENT = re.compile(r"(?<![a-z])(enhanc(?:es|ing|ement|ed)|wash-?out|(?:late )?arterial phase"
                          r"|portal venous phase|(?:venous|delayed|equilibrium) phase)(?![a-z])")
_STUDY_CONTRAST = re.compile(r"(?<![a-z])(?:contrast[- ]enhanced|non-?enhanced|unenhanced)(?![a-z])")
_PHASE_NAMES = {"arterial": "arterial phase", "portal_venous": "portal venous phase", "delayed": "delayed phase"}
_LABEL_QUOTE = re.compile(r"(?<![a-z])(?:dataset|image-level|finding) labels?(?![a-z])|labelled as")
_HINTS = literals("normal", "unremarkable", "clear", "intact", "preserved", "no ", "not ", "without", "absen",
                  "negative", "enlarg", "megaly", "increased", "enhanc", "wash", "phase", "costophrenic", "compress",
                  "displac", "invad", "invasion", "infiltrat", "obstruct", "narrow", "mass effect", "effac",
                  "encroach", "shift", "herniat", "disten", "dilat", "collapse", "thicken", "paten", "occlu",
                  "thrombos", "nodular", "inflat", "lung volume", "widen", "flatten", "elevat", "calcif",
                  "free of", "healthy")
# every word of the study's contrast holds one of these; every sequence word one of the next
_CONTRAST_HINTS = literals("contrast", "enhanced", "plain")
_SEQUENCE_HINTS = literals("t1", "t2", "flair", "diffusion", "dwi", "adc", "stir", "swi", "susceptib", "blooming",
                           "proton")

CTR_ENLARGED_ABOVE = 0.5  # the cardiothoracic ratio above which a PA film's heart is enlarged


def check_assessment(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A normality, absence, size or enhancement judgement must rest on a measurement or a label."""
    recorded_contrast = _study_contrast(facts) is not None
    for sentence in claims(sentences):
        text = sentence.text
        general = may_match(_HINTS, text)
        contrast = recorded_contrast and may_match(_CONTRAST_HINTS, text)
        sequence = facts.modality == "mri" and may_match(_SEQUENCE_HINTS, text)
        if _LABEL_QUOTE.search(text):
            continue
        issue = _grade(facts, text)
        if issue is not None:
            return [issue]
        if not (general or contrast or sequence):
            continue
        if general:
            if "costophrenic" in text and _angles_visible(facts):
                issue = _costophrenic(facts, text)
            elif _HEART.search(text) and _ratio(facts) is not None:
                issue = _heart_size(facts, text) or _state(facts, text) or _beyond_the_heart(text)
            else:
                issue = _judgement(text, facts) or _state(facts, text)
            issue = issue or _enhancement(facts, text) or _calcification(facts, sentence)
        issue = issue or (_contrast(facts, text) if contrast else None) or (_sequence(facts, text) if sequence
                                                                            else None)
        if issue is not None:
            return [issue]
    return []


def _ratio(facts: SampleFacts) -> float | None:
    return next((ratio for roi in facts.rois if (ratio := roi.measurement("cardiothoracic_ratio")) is not None),
                None)


def _angles_visible(facts: SampleFacts) -> list[float]:
    return [value for roi in facts.rois if (value := roi.measurement("costophrenic_angle_visible")) is not None]


_SHARP = re.compile(r"(?<![a-z])(sharp|clear|preserved|normal|intact|visible)(?![a-z])")
_BLUNTED = re.compile(r"(?<![a-z])(blunt(?:ed|ing)?|obliterat(?:ed|ion)|not (?:sharp|visible|clear|preserved))"
                      r"(?![a-z])")


def _costophrenic(facts: SampleFacts, text: str) -> QCIssue | None:
    """Costophrenic angles called sharp or blunted, against what the chest expert measured of each lung."""
    visible = _angles_visible(facts)
    if _BLUNTED.search(text):
        if all(value >= 0.5 for value in visible):
            return QCIssue("assessment_unsupported", "text calls a costophrenic angle blunted; each lung's was "
                                                     "measured sharp (it reaches its lowest point laterally)")
    elif _SHARP.search(text) and any(value < 0.5 for value in visible):
        return QCIssue("assessment_unsupported", "text calls the costophrenic angles sharp; a lung's was measured "
                                                 "blunted (its lowest point lies medially)")
    return None


def _beyond_the_heart(text: str) -> QCIssue | None:
    """"The heart and lungs are normal": the ratio judges the heart's size, nothing the lungs (or the mediastinum)
    the same sentence calls normal."""
    found = _NORMAL.search(text)
    others = [term for term in anatomy_terms_in(text) if not _HEART.search(term)]
    if found is None or not others:
        return None
    return QCIssue("assessment_unsupported", f"text judges the {others[0]} {found.group(1)!r}; only the heart's "
                                             "size is measured (its cardiothoracic ratio)")


def _heart_size(facts: SampleFacts, text: str) -> QCIssue | None:
    """A heart called enlarged or normal in size, against the measured ratio (not on an AP film)."""
    ratio = _ratio(facts)
    if ratio is None or facts.view_position == "ap":
        return None
    enlarged = _ENLARGED.search(text) and not re.search(r"not enlarged|no enlargement", text)
    normal = _NORMAL.search(text)
    if enlarged and ratio <= CTR_ENLARGED_ABOVE:
        return QCIssue("assessment_unsupported", f"text calls the heart enlarged; the measured cardiothoracic "
                                                 f"ratio is {100 * ratio:.0f}% (enlarged above 50%)")
    if normal and not enlarged and ratio > CTR_ENLARGED_ABOVE:
        return QCIssue("assessment_unsupported", f"text calls the heart normal ({normal.group(1)!r}); the measured "
                                                 f"cardiothoracic ratio is {100 * ratio:.0f}% (enlarged above 50%)")
    return None


# a denied contact ("no contact with the spleen") is a placement, the enclosure checks' claim family
_RELATION = re.compile(r"(?<![a-z])(?:contact|abut|border|adjacent|touch|surround|encas|overl|extend|next to)")


# a label naming an organ's enlargement, and the words that name that organ
_ENLARGEMENT_LABELS = {"cardiomegaly": re.compile(r"(?<![a-z])(?:heart|cardiac)(?![a-z])"),
                       "hepatomegaly": re.compile(r"(?<![a-z])(?:liver|hepatic)(?![a-z])"),
                       "splenomegaly": re.compile(r"(?<![a-z])(?:spleen|splenic)(?![a-z])")}


def _enlargement_labelled(facts: SampleFacts, text: str) -> bool:
    """Whether a label (a region's or the image's) names the enlargement of the organ the sentence speaks of:
    "the heart is enlarged" on a film labelled cardiomegaly (whose heart may be a context structure without a
    measured ratio in the row)."""
    labels = facts.label_text
    return any(label in labels and organ.search(text) for label, organ in _ENLARGEMENT_LABELS.items())


@lru_cache(maxsize=1)
def _severity() -> re.Pattern:
    """A grade given to a disease or a finding ("a large left pleural effusion", "mild cardiomegaly", "a small
    amount of ascites", "the effusion is moderate in size"): a box or an outline has a size, not a grade, and a
    label names no grade. "The lesion is small" alone is left to the size it states."""
    terms = trie_alternation(sorted({*DIAGNOSIS_TERMS, "opacity", "opacities", "infiltrate", "consolidation"},
                                    key=len, reverse=True))
    grade = r"(?:mild|mildly|moderate|moderately|severe|severely|massive|trace|minimal|small|large|tiny|extensive)"
    extent = r" in (?:size|extent|volume|degree)"
    return re.compile(rf"(?<![a-z])((?P<grade>{grade})(?:[- ]to[- ]{grade})?\s+(?P<amount>(?:amount|volume|degree)"
                      rf"\s+of\s+)?(?:[a-z-]+\s+){{0,2}}?(?P<term>{terms})(?:s|es)?)(?![a-z])"
                      rf"|(?<![a-z])(?P<state>(?:is|are|appears?|seems?) (?:(?:mild|moderate|severe|massive|extensive"
                      rf"|trace)"
                      rf"(?:{extent})?|(?:small|large|tiny|minimal){extent}))(?![a-z])")


_SIZE_WORDS = {"small", "large", "tiny", "minimal"}
_SEVERITY_HINT = literals("mild", "moderate", "severe", "massive", "trace", "minimal", "small", "large", "tiny",
                          "extensive")


def _grade(facts: SampleFacts, text: str) -> QCIssue | None:
    if not may_match(_SEVERITY_HINT, text):
        return None
    found = _severity().search(text)
    if found is None:
        return None
    if found.group(1) and found.group("grade") in _SIZE_WORDS and not found.group("amount") and any(
            found.group("term") in roi.label.lower() for roi in facts.rois
            if roi.kind == "lesion" and roi.origin != BOX_ORIGIN):
        return None  # "a large lung tumor" of an outlined tumour: a size, judged as one (a box's is no size)
    said = found.group(1) or found.group("state")
    return QCIssue("assessment_unsupported", f"text grades {said!r}; nothing measured a severity (a region has a "
                                             "size, not a grade, and no label names one)")


def _judgement(text: str, facts: SampleFacts) -> QCIssue | None:
    """Normality, absence, an organ's enlargement (unless a label names it) or a mass effect, which nothing
    measures."""
    mass_effect = _MASS_EFFECT.search(text)
    if mass_effect is not None:
        return QCIssue("assessment_unsupported", f"text says {mass_effect.group(1)!r}; nothing measured a mass "
                                                 "effect (compression, displacement, invasion)")
    if _RELATION.search(text) or ("no " in text and ANNOTATED_ABSENCE.search(text)):
        return None  # "no other lesions are marked" states the annotation: the count check's claim
    found = _NORMAL.search(text)
    if found is None:
        found = _ENLARGED.search(text)
        if found is None or _enlargement_labelled(facts, text):
            return None
    return QCIssue("assessment_unsupported", f"text judges {found.group(1)!r}; nothing measured says so (no organ "
                                             "was compared with a norm, nothing was looked for and found absent)")


def _enhancement(facts: SampleFacts, text: str) -> QCIssue | None:
    """Enhancement or a contrast phase: only where a label names enhancement, and only the phase the study is."""
    found = _ENHANCEMENT.search(_STUDY_CONTRAST.sub(" ", text))
    if found is None:
        return None
    word = found.group(1)
    if word.endswith("phase"):
        if _PHASE_NAMES.get(facts.ct_phase, "") in word and facts.ct_phase in _PHASE_NAMES:
            return None
        study = _PHASE_NAMES.get(facts.ct_phase, "not recorded")
        return QCIssue("assessment_unsupported", f"text names the {word}; the study's phase is {study}")
    if any("enhanc" in label.lower() for label in facts.labels):
        return None
    return QCIssue("assessment_unsupported", f"text says {word!r}; no enhancement was measured and no label names it")


def _named_by_label(facts: SampleFacts, word: str) -> bool:
    """Whether a label names the word: its first six letters opening a word ("pleural thickening" names
    "thickened"), a short word whole ("t1" is not in "t12 vertebra")."""
    stem = word[:6]
    ending = "" if len(word) > len(stem) else "(?![a-z0-9])"
    pattern = re.compile(rf"(?<![a-z0-9]){re.escape(stem)}{ending}")
    return any(pattern.search(label.lower()) for label in facts.labels)


def _state(facts: SampleFacts, text: str) -> QCIssue | None:
    """An organ distended, dilated, collapsed, thickened, patent or occluded, or of nodular contour: no measure
    compares a lumen, a wall or a contour with a norm (a label that names the state is its support)."""
    found = _STATE.search(text)
    if found is None or _named_by_label(facts, found.group(1)):
        return None
    return QCIssue("assessment_unsupported", f"text judges {found.group(1)!r}; no lumen, wall or contour was "
                                             "measured against a norm")


def _study_contrast(facts: SampleFacts) -> bool | None:
    """Whether the study is contrast-enhanced, as its metadata records (None: not recorded)."""
    if facts.contrast_enhanced is not None:
        return facts.contrast_enhanced
    if facts.ct_phase:
        return facts.ct_phase != "non_contrast"
    return None


def _contrast(facts: SampleFacts, text: str) -> QCIssue | None:
    """A study called non-contrast that the metadata records as contrast-enhanced, or the reverse."""
    given = _study_contrast(facts)
    if given is None:
        return None
    found = (_WITHOUT_CONTRAST if given else _WITH_CONTRAST).search(text)
    if found is None:
        return None
    recorded = "contrast-enhanced" if given else "without contrast"
    return QCIssue("assessment_unsupported", f"text says {found.group(1)!r}; the study is recorded as {recorded}")


def _sequence(facts: SampleFacts, text: str) -> QCIssue | None:
    """An MRI sequence named that the study is not (or a sequence where none is recorded): 'T2 hyperintense',
    'restricted diffusion' on a post-contrast T1 image describe images nobody gave the pipeline."""
    if facts.modality != "mri":
        return None
    for token, words in _SEQUENCES.items():
        found = words.search(text)
        if found is None or token in facts.mr_sequence or _named_by_label(facts, token):
            continue
        recorded = ", ".join(facts.mr_sequence) if facts.mr_sequence else "not recorded"
        return QCIssue("assessment_unsupported", f"text names {found.group(1)!r}; the study's sequence is {recorded}")
    return None


def _calcification(facts: SampleFacts, sentence: ClaimSentence) -> QCIssue | None:
    """Calcification said where no region measured in HU is spoken of ("aortic calcification" of a structure
    that is only context, "calcified" on an MRI): a label naming it, or a described CT region (whose mean the
    composition check judges), supports the word."""
    found = _CALCIFIED.search(sentence.text)
    if found is None or _named_by_label(facts, found.group(1)):
        return None
    measured = sentence.named and sentence.subjects and all(
        roi.intensity_unit == "HU" and roi.mean_intensity is not None for roi in sentence.subjects)
    if measured and (found.group(1) in ("calcified", "calcific")  # the composition check judges these by the mean
                     or any(roi.mean_intensity >= CALCIUM_FROM_HU for roi in sentence.subjects)):
        return None
    return QCIssue("assessment_unsupported", f"text says {found.group(1)!r}; no calcium was measured in what it "
                                             "speaks of (only a described CT region's mean HU can show it)")
