"""``patient_unsupported``: the patient or the clinical setting, which an image description cannot know.

A model trained on reports writes the report's frame around the image: "this 60-year-old woman", "the patient
presented with abdominal pain", "compared with the prior study", "follow-up is recommended". None of it comes
from the pixels or the measurements, and the pipeline keeps no patient data (no identifier reaches a row, and
age and sex are not carried unless a source's own metadata gives them): every such sentence is invented. Age
and sex are judged only where the metadata records neither (:attr:`SampleFacts.patient_recorded`); a history, a
comparison with earlier imaging and a recommendation are never known, nor is any change over time ("a new
lesion", "stable", "interval growth") or a clinical reading of the finding ("concerning", "indeterminate",
"incidental", "post-treatment change", "amenable to resection").
"""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims
from medtrinity.quality.checks.shortcuts import literals, may_match
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue

# age or sex of the patient ("60-year-old", "aged 45", "a woman", "his liver")
_AGE_SEX = re.compile(r"(?<![a-z])(\d{1,3}[- ]years?[- ]old|aged \d{1,3}|in (?:his|her|their) \d0s|(?:wo)?man|men"
                      r"|women|male|female|boy|girl|infant|child|elderly|he|she|his|her|him)(?![a-z])")
# one of these opens every age or sex word ("he" at the sentence's start is tested apart: " he" is not in "the")
_AGE_SEX_HINT = literals("year", "aged", " man", "woman", " men", "women", "male", "boy", "girl", "infant", "child",
                         "elderly", " he ", " she ", " his ", " her ", " him", "their ")
_AGE_SEX_START = ("he ", "she ", "his ", "her ", "him ", "man ", "men ", "in his", "in her")
# the clinical setting: history, symptoms, comparison with earlier imaging, advice
_SETTING = re.compile(r"(?<![a-z])(present(?:ed|s|ing) with|history of|clinical (?:history|information|indication)"
                      r"|indication:|complain(?:s|ed|ing)? of|symptoms?|(?:prior|previous|earlier) (?:study|studies"
                      r"|exam(?:ination)?s?|imaging|scan|ct|mri|film|radiograph)|interval (?:change|increase|decrease)"
                      r"|unchanged (?:from|since|compared)|recommend(?:ed|s|ation)?|follow-?up (?:imaging|is|with)"
                      r"|clinical correlation|correlate clinically|further evaluation"
                      # change over time, which one image cannot show
                      r"|(?:is|are|remains?|appears?) (?:new|stable|unchanged|improved|worsened|resolved|resolving)"
                      r"|(?:a|this|the) new (?:lesion|finding|mass|nodule|opacity|focus)"
                      r"|newly (?:seen|appeared|developed)"
                      r"|interval (?:growth|development|enlargement|progression|resolution)|progression"
                      r"|regression(?! structures?)"
                      r"|(?:has|have) (?:grown|increased|decreased|progressed|regressed|resolved)"
                      # a clinical reading of the finding or of what to do with it
                      r"|concerning|worrisome|suspicious|indeterminate|non-?specific|incidental(?:oma)?"
                      r"|clinically (?:significant|relevant|insignificant)|post-?(?:treatment|operative|surgical)"
                      r"|aggressive|biopsy|resect(?:ion|able|ed)|operable|surgical (?:management|resection|excision)"
                      r"|treatment (?:response|planning)|differential(?: diagnosis)?"
                      # a category on a clinical scale
                      r"|(?:bi|li|pi|ti|lung|o)-?rads(?: category)?|paris classification|kudo|nice classification"
                      r"|(?:who|tnm) (?:grade|stage)|t[0-4][a-c]?n[0-3]m[01])(?![a-z])")
_SETTING_HINT = literals("presented with", "presents with", "presenting with", "history", "clinical", "indication",
                         "complain", "symptom", "prior", "previous", "earlier", "interval", "unchanged", "recommend",
                         "follow", "correlat", "further evaluation", "new", "stable", "improved", "worsened",
                         "resolv", "progress", "regress", "grown", "increased", "decreased", "concerning",
                         "worrisome", "suspicious", "indeterminate", "specific", "incidental", "post-", "posttreat",
                         "postop", "postsurg", "aggressive",
                         "biopsy", "resect", "operable", "surgical", "treatment", "differential", "rads", "paris",
                         "kudo", "nice class", "who ", "tnm", "n0", "n1", "n2", "n3")


def check_patient(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """No age, sex, history, comparison or recommendation the record does not hold."""
    for sentence in claims(sentences):
        text = sentence.text
        found = _SETTING.search(text) if may_match(_SETTING_HINT, text) else None
        if found is not None:
            return [QCIssue("patient_unsupported", f"text says {found.group(1)!r}: no history, earlier imaging, "
                                                   "change over time, clinical reading or advice is known to the "
                                                   "pipeline")]
        if facts.patient_recorded or not (may_match(_AGE_SEX_HINT, text) or text.startswith(_AGE_SEX_START)):
            continue
        found = _AGE_SEX.search(text)
        if found is not None:
            return [QCIssue("patient_unsupported", f"text says {found.group(1)!r} of the patient; no age or sex "
                                                   "is recorded")]
    return []
