"""The answer normalisation of LLaVA-Med's VQA evaluation (VQA-style), written anew to behave the same.

Both the ground truth and the prediction are lower-cased, then: punctuation marks are removed
(when written next to a space, or anywhere when the text holds a thousands comma such as
``1,000``) or replaced by a space; a period not followed by a digit is dropped (at most 32 of
them, a quirk of the reference, which passes ``re.UNICODE`` as the ``count`` argument); number
words up to ten become digits (``none`` and ``zero`` become ``0``); the articles a/an/the go;
VQA's contraction table restores apostrophes (``dont`` -> ``don't``).
"""

from __future__ import annotations

import re
from collections import Counter

PUNCTUATION_MARKS = (";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`",
                     ",", "?", "!")
NUMBER_WORDS = {"none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
                "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10"}
ARTICLES = frozenset({"a", "an", "the"})
_THOUSANDS_COMMA = re.compile(r"\d,\d")
_PERIOD_NOT_BEFORE_DIGIT = re.compile(r"\.(?!\d)")
_PERIOD_LIMIT = 32  # the reference's re.UNICODE passed as count

# contracted forms of the VQA evaluation table; each is also reached from its spellings without apostrophes
_CONTRACTED = (
    "ain't aren't can't could've couldn't couldn't've didn't doesn't don't hadn't hadn't've hasn't haven't he'd "
    "he'd've he's how'd how'll how's isn't it'd it'd've it'll mightn't mightn't've might've mustn't must've "
    "needn't not've o'clock oughtn't shan't she'd've should've shouldn't shouldn't've somebody'd've somebody'll "
    "somebody's someone'd someone'd've someone'll someone's something'd something'd've something'll that's "
    "there'd there'd've there're there's they'd they'd've they'll they're they've wasn't we'd've we've weren't "
    "what'll what're what's what've when's where'd where's where've who'd who'd've who'll who's who've why'll "
    "why're why's won't would've wouldn't wouldn't've y'all y'all'll y'all'd've you'd you'd've you'll you're you've"
).split()


def _contraction_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for form in _CONTRACTED:
        apostrophes = [index for index, char in enumerate(form) if char == "'"]
        table[form.replace("'", "")] = form
        if len(apostrophes) == 2:  # one of the two left out: "hadnt've", "hadn'tve"
            for index in apostrophes:
                table[form[:index] + form[index + 1:]] = form
    table.update({"twas": "'twas", "somebody'd": "somebodyd", "y'allll": "y'all'll"})
    return table


CONTRACTIONS = _contraction_table()


def normalize_answer(text: str) -> str:
    """Lower-case and normalise an answer the way LLaVA-Med's scorer does before comparing."""
    text = str(text).lower()
    thousands = _THOUSANDS_COMMA.search(text) is not None
    cleaned = text
    for mark in PUNCTUATION_MARKS:
        glued = (mark + " " in text) or (" " + mark in text) or thousands
        cleaned = cleaned.replace(mark, "" if glued else " ")
    cleaned = _PERIOD_NOT_BEFORE_DIGIT.sub("", cleaned, count=_PERIOD_LIMIT)
    words = []
    for word in cleaned.split():
        word = NUMBER_WORDS.get(word, word)
        if word not in ARTICLES:
            words.append(CONTRACTIONS.get(word, word))
    return " ".join(words).replace(",", "")


def word_counts(normalized: str) -> Counter[str]:
    """Words of an already normalised answer with their counts (split on whitespace)."""
    return Counter(normalized.split())
