"""Small English helpers every text writer shares: lists, articles, number words."""

from __future__ import annotations

import re
from functools import lru_cache


def join_words(words: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} and {words[-1]}"


_VOWEL_SOUND_LETTERS = set("AEFHILMNORSX")  # letters read with a leading vowel sound: "an MRI", "an X-ray"


def article(word: str) -> str:
    """'a' or 'an' by sound: vowels, and acronyms or letter names that start with one ('an MRI', 'an X-ray')."""
    if word[:1].lower() in "aeiou":
        return "an"
    letter_name = word[:1].isupper() and (word[1:2].isupper() or word[1:2] in ("-", "") or word[1:2].isdigit())
    return "an" if letter_name and word[:1] in _VOWEL_SOUND_LETTERS else "a"


NUMBER_WORDS: dict[str, int] = {
    "one": 1, "single": 1, "solitary": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}


def number_word(count: int) -> str:
    """'two' for 2 ... 'twelve'; digits above."""
    for word, value in NUMBER_WORDS.items():
        if value == count and word not in {"single", "solitary"}:
            return word
    return str(count)


_SINGULAR_S_ENDINGS = ("us", "is", "ss", "as", "os")  # pancreas, uterus, pelvis, thalamus, iris


def is_plural(name: str) -> bool:
    """Whether a structure name is a plural noun ("retinal vessels", "costal cartilages", "portal and splenic veins"),
    so that its verb agrees ("the retinal vessels are", not "is")."""
    last = name.strip().split(" ")[-1].lower() if name.strip() else ""
    return " and " in name or (last.endswith("s") and not last.endswith(_SINGULAR_S_ENDINGS))


def verb(name_or_names: str | list[str], singular: str, plural: str) -> str:
    """The verb form that agrees with one name (plural nouns included) or a list of names."""
    if isinstance(name_or_names, list):
        many = len(name_or_names) > 1 or any(is_plural(name) for name in name_or_names)
    else:
        many = is_plural(name_or_names)
    return plural if many else singular


_JOINT_SHARED_LAST = re.compile(r"^(\w+) and (\w+) (\w+)$")  # "portal and splenic veins"
_JOINT_SHARED_FIRST = re.compile(r"^(\w+) (\w+) and (\w+)$")  # "hippocampal body and tail"


@lru_cache(maxsize=4096)
def joint_parts(name: str) -> tuple[str, ...]:
    """The structures one joint label names: "portal and splenic veins" -> ("portal veins", "splenic veins");
    "hippocampal body and tail" -> ("hippocampal body", "hippocampal tail"); () for any other name.

    A text naming one of the two (the portal vein on a slice whose label joins both veins) names labelled anatomy.
    """
    shared_last = _JOINT_SHARED_LAST.match(name)
    if shared_last:
        first, second, noun = shared_last.groups()
        return f"{first} {noun}", f"{second} {noun}"
    shared_first = _JOINT_SHARED_FIRST.match(name)
    if shared_first:
        qualifier, first, second = shared_first.groups()
        return f"{qualifier} {first}", f"{qualifier} {second}"
    return ()
