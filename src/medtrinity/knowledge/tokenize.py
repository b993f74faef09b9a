"""Words for BM25: lower case, British spellings folded to American, plurals reduced, stopwords dropped.

Queries and passages go through the same function, so "Tumours" in a label matches "tumor" in text.
"""

from __future__ import annotations

import re
import unicodedata

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")
# British prefix -> American prefix, applied to the start of a word.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("haem", "hem"),
    ("anaem", "anem"),
    ("leukaem", "leukem"),
    ("ischaem", "ischem"),
    ("paed", "ped"),
    ("orthopaed", "orthoped"),
    ("oedem", "edem"),
    ("oesophag", "esophag"),
    ("oestr", "estr"),
    ("foet", "fet"),
    ("diarrhoe", "diarrhe"),
    ("gynaec", "gynec"),
    ("coeli", "celi"),
    ("caecum", "cecum"),
    ("caecal", "cecal"),
    ("tumour", "tumor"),
    ("colour", "color"),
    ("fibre", "fiber"),
    ("centre", "center"),
    ("grey", "gray"),
)
STOPWORDS: frozenset[str] = frozenset(
    """a an and are as at be been but by can do does for from has have how in into is it its
    may more most no not of on or other such than that the their them then there these this those
    to was were what when where which while who why will with within without you your""".split()
)
_KEEP_S = ("ss", "us", "is", "ous", "sis", "xis", "ys")


def fold_spelling(word: str) -> str:
    """American spelling of a British medical word prefix (``oedema`` -> ``edema``)."""
    for british, american in _PREFIXES:
        if word.startswith(british):
            return american + word[len(british) :]
        if british in ("haem", "anaem", "leukaem", "ischaem", "oedem") and british in word:
            return word.replace(british, american, 1)
    return word


def singular(word: str) -> str:
    """A light plural stripper: ``nodules`` -> ``nodule``, ``opacities`` -> ``opacity``."""
    if len(word) <= 3 or word.endswith(_KEEP_S):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """BM25 terms of ``text`` in order (repeats kept: term frequency matters)."""
    text = _CAMEL.sub(" ", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    terms = []
    for word in _WORD.findall(text):
        if word in STOPWORDS or (len(word) == 1 and not word.isdigit()):
            continue
        terms.append(singular(fold_spelling(word)))
    return terms
