"""Anatomy named in the text must be labelled or measured, on the labelled side.

``organ_unsupported``: an organ or structure that no label, containing organ, organ part, neighbour
or the body part names ("the spleen is unremarkable" on a slice whose labels are liver and kidneys).
``side_mismatch``: a sided structure named on the other side than its label ("right kidney" where
only the left kidney is labelled), as happens when a list's sides are swapped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from medtrinity.quality.checks.base import ClaimSentence, VerifyOptions, claims, word_pattern
from medtrinity.quality.checks.regions import POSITION
from medtrinity.quality.checks.shortcuts import literals, may_match, sample_memo, text_cache, trie_alternation
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QCIssue
from medtrinity.vocab.report_terms import anatomy_terms
from medtrinity.vocab.words import joint_parts

_SINGULAR = re.compile(r"(?<=[a-z])(?:es|s)\b|(?<=[a-z]a)e\b")  # livers, kidneys; vertebrae


@lru_cache(maxsize=1)
def _lexicon() -> re.Pattern:
    """Every anatomical name as a whole word, the longest that fits at each place (as a prefix tree: faster)."""
    terms = sorted({term.lower() for term in anatomy_terms()}, key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(" + trie_alternation(terms) + r")(?![a-z])")


# a part that names its whole: a lung lobe ("right lower lobe") is lung, so "the lung bases" name labelled anatomy
_WHOLE_OF_PART = re.compile(r"^(left|right) (?:upper|middle|lower) lobe$")


# what a modality shows whatever is labelled: a fundus photograph is of the retina, a dermoscopy of the skin
_SHOWN_BY = {"fundus": ("retina", "fundus"), "dermoscopy": ("skin",)}
# a label that a group name covers: the erector spinae are paraspinal (back) muscles, a vertebra is of the spine,
# the two hemidiaphragms are the diaphragm
_GROUP_NAMES = {"erector spinae": "paraspinal muscle", "autochthon": "paraspinal muscle", "vertebra": "spine",
                "hemidiaphragm": "diaphragm"}


def _known(facts: SampleFacts) -> list[str]:
    """The sample's label and body-part names, lower case and singular (made once per sample); a joint label
    ("portal and splenic veins") also stands for each structure it names, a lung lobe for its lung, an erector
    spinae for the paraspinal muscles."""
    names = [name.lower() for name in [*facts.labels, facts.body_part, *_SHOWN_BY.get(facts.modality, ())] if name]
    wholes = [f"{found.group(1)} lung" for name in names if (found := _WHOLE_OF_PART.match(name))]
    groups = [group for name in names for member, group in _GROUP_NAMES.items() if member in name]
    return [_SINGULAR.sub("", name)
            for name in [*names, *wholes, *groups, *(part for name in names for part in joint_parts(name))]]


@lru_cache(maxsize=4096)
def _singular_word(term: str) -> tuple[str, re.Pattern]:
    """The term's singular form and the pattern of it as a whole word (the pattern needs the form in the name)."""
    singular = _SINGULAR.sub("", term)
    return singular, re.compile(rf"(?<![a-z]){re.escape(singular)}(?![a-z])")


_PLAIN_S = re.compile(r"(?<=[a-z]e)s\b")  # "muscles", "vertebral bodies" aside: a plural that only adds s


def _supported(term: str, known: list[str]) -> bool:
    singular, pattern = _singular_word(term)
    # "kidney" in "left kidney"; "liver" in "liver lesion"
    if any(singular in name and pattern.search(name) for name in known):
        return True
    # "muscles" lost "es" above ("muscl"); the known names keep "muscle": try the plural without its s
    plain = _PLAIN_S.sub("", term)
    return plain != term and any(plain in name and word_pattern(plain).search(name) for name in known)


_HEMISPHERE = re.compile(r"(?:left|right)\s+cerebral\s+hemisphere")
# every match of POSITION ends in "of the image" (frame, picture, field of view, slice): without such a
# phrase POSITION.sub changes nothing; the hemisphere phrase needs the word itself
_POSITION_HINT = re.compile(r"of\s+the\s+(?:image|frame|picture|field of view|slice)")
_HEMISPHERE_HINT = literals("hemisphere")


# a vertebral level in shorthand ("at the level of L1", "the L2 level"): the vertebra it names
_LEVEL = re.compile(r"(?:(?<![a-z])level\s+of\s+(?:the\s+)?|(?<![a-z])at\s+(?:the\s+)?)([ctl]\d{1,2}|s1)(?![a-z0-9])"
                    r"|(?<![a-z0-9])([ctl]\d{1,2}|s1)\s+(?:vertebral\s+)?level(?![a-z])")
_LEVEL_HINT = literals("level", "at ")
_LEVELS = {"c": 7, "t": 12, "l": 5, "s": 1}


def vertebral_levels(text: str) -> tuple[str, ...]:
    """The vertebrae a sentence names by level in shorthand ("at the level of L1": "l1 vertebra")."""
    if not may_match(_LEVEL_HINT, text):
        return ()
    found = []
    for match in _LEVEL.finditer(text):
        level = match.group(1) or match.group(2)
        if level in ("t1", "t2") and match.group(0).startswith("at"):
            continue  # "bright at T2" is a sequence; a T1 or T2 vertebra needs the word "level"
        if 1 <= int(level[1:]) <= _LEVELS[level[0]]:
            found.append(f"{level} vertebra")
    return tuple(found)


@text_cache()
def anatomy_terms_in(text: str) -> tuple[str, ...]:
    """The lexicon's anatomical names in a sentence (and vertebrae named by level), image positions and cerebral
    hemispheres left out."""
    levels = vertebral_levels(text)
    if may_match(_POSITION_HINT, text):
        text = POSITION.sub(" ", text)
    if may_match(_HEMISPHERE_HINT, text):
        text = _HEMISPHERE.sub(" ", text)
    return tuple(match.group(1) for match in _lexicon().finditer(text)) + levels


def _verdict(term: str, known: list[str]) -> QCIssue | None:
    """The issue a named term raises against the sample's names (None: supported)."""
    if _supported(term, known):
        return None
    if term.startswith(("left ", "right ")):
        side, rest = term.split(" ", 1)
        other = ("right " if side == "left" else "left ") + rest
        if _supported(other, known):
            return QCIssue("side_mismatch", f"text names the {term}; the label is the {other}")
    return QCIssue("organ_unsupported", f"text names the {term}, which no label or measurement names")


def check_anatomy(facts: SampleFacts, sentences: list[ClaimSentence], options: VerifyOptions) -> list[QCIssue]:
    """Each anatomical name must be backed by a label (and its side by the label's side)."""
    memo = facts.memo
    known = sample_memo(memo, "anatomy_known", lambda: _known(facts))
    for sentence in claims(sentences):
        for term in anatomy_terms_in(sentence.text):
            issue = sample_memo(memo, ("anatomy", term), lambda term=term: _verdict(term, known))
            if issue is not None:
                return [issue]
    return []
