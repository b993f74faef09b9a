"""Diagnoses: no disease word in the text unless a label names it (quoted knowledge included)."""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions
from medtrinity.quality.checks.shortcuts import sample_memo, text_cache, trie_alternation
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.report_terms import DIAGNOSIS_TERMS

_SPELLING = (("tumour", "tumor"), ("oedema", "edema"), ("haem", "hem"), ("ischaem", "ischem"), ("metastases",
             "metastasis"), ("metastatic", "metastasis"))


def _canonical(text: str) -> str:
    text = text.lower()
    for variant, canonical in _SPELLING:
        text = text.replace(variant, canonical)
    return text


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    terms = sorted({_canonical(term) for term in DIAGNOSIS_TERMS}, key=len, reverse=True)
    return re.compile(r"(?<![a-z])(" + trie_alternation(terms) + r")(?:s|es)?(?![a-z])")  # longest first, as a tree


@text_cache()
def diagnosis_terms_in(text: str) -> tuple[str, ...]:
    """The disease words of a sentence, spelt the one way (tumour -> tumor, metastases -> metastasis)."""
    return tuple(match.group(1) for match in _pattern().finditer(_canonical(text)))


def _labelled(term: str, facts: SampleFacts) -> bool:
    """Whether one of the sample's labels names the disease word (once per sample and word)."""
    labels = sample_memo(facts.memo, "diagnosis_labels",
                         lambda: " | ".join(_canonical(label) for label in facts.labels))
    return re.search(rf"(?<![a-z]){re.escape(term)}", labels) is not None


def check_diagnosis(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """A diagnosis word in any sentence must occur in one of the sample's labels."""
    for sentence in sentences:
        for term in diagnosis_terms_in(sentence.text):
            if sample_memo(facts.memo, ("diagnosis", term), lambda term=term: _labelled(term, facts)):
                continue
            return [QCIssue("diagnosis_unsupported", f"text names {term!r}, which no label of this image names")]
    return []
