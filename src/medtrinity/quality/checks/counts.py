"""Counts: "two nodules", "a single lesion", "three separate regions of X" against the ROIs of that label."""

from __future__ import annotations

import re

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, strip_phrases
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.words import NUMBER_WORDS

_COUNT_WORD = (r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+single|single|solitary|"
               r"multiple|several|numerous)")
_COUNT_FILLER = r"\s+(?:separate\s+|distinct\s+|different\s+|discrete\s+|individual\s+)?"


def _claimed_count(word: str) -> tuple[int, bool]:
    """(count, at_least): 'multiple' means two or more."""
    word = word.replace("a ", "").strip()
    if word in {"multiple", "several", "numerous"}:
        return 2, True
    return (int(word), False) if word.isdigit() else (NUMBER_WORDS[word], False)


def check_counts(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """'Two nodules', 'a single lesion', '3 separate regions of X' must match the number of ROIs of that label."""
    measured: dict[str, int] = {}
    for roi in facts.rois:
        same = sum(1 for other in facts.rois if other.label == roi.label)
        measured[roi.label.lower()] = max(measured.get(roi.label.lower(), 0), roi.count_same_label, same)
    lesions = sum(1 for roi in facts.rois if roi.kind == "lesion")
    longest_first = sorted(measured, key=len, reverse=True)
    for sentence in claims(sentences):
        text = re.sub(r"\s+", " ", sentence.text)
        found: list[tuple[str, str]] = []
        for label in longest_first:
            if label not in text:  # both patterns name the label: no match, nothing to strip
                continue
            noun = re.escape(label)
            patterns = (
                rf"(?<![a-z0-9.]){_COUNT_WORD}{_COUNT_FILLER}{noun}(?:s|es)?(?![a-z])",
                rf"(?<![a-z0-9.]){_COUNT_WORD}{_COUNT_FILLER}(?:regions?|areas?|foci|components?|parts?)\s+of\s+"
                rf"(?:the\s+)?{noun}(?![a-z])",
            )
            for pattern in patterns:
                for match in re.finditer(pattern, text):
                    found.append((label, match.group(1)))
            text = strip_phrases(text, [label])
        if lesions:
            for match in re.finditer(rf"(?<![a-z0-9.]){_COUNT_WORD}{_COUNT_FILLER}(?:lesions|findings|regions of "
                                     rf"interest)(?![a-z])", text):
                found.append(("", match.group(1)))
        for label, word in found:
            count, at_least = _claimed_count(word)
            truth = measured[label] if label else lesions
            if (at_least and truth < count) or (not at_least and truth != count):
                name = label or "lesion"
                return [QCIssue("count_mismatch", f"text says {word!r} {name} region(s); measured {truth}")]
    return []
