"""The verifier's shortcuts (text caches, per-sample memos, pre-filters) change no verdict.

Every case is verified twice: with the shortcuts on, caches warm from all the cases before it (so a
cache keyed on too little would hand one sample's answer to another), and inside
:func:`~medtrinity.quality.checks.shortcuts.plain`, where nothing is cached and every pre-filter lets the
text through. Cases: composer descriptions of the demo collection (phantom, DICOM, TotalSegmentator
CT, brain MRI), each planted mistake of the mutation set, texts paired with another sample's facts, and
texts with random edits that put in the words each pre-filter looks for (and near misses of them).
Besides the issues (the first per check), the per-sentence parses behind them are compared directly.
"""

from __future__ import annotations

import random

import pytest

from medtrinity.config import parse_config
from medtrinity.datapaths import shared_data_dir
from medtrinity.demo import demo_sources
from medtrinity.generation.backends import make_backend
from medtrinity.pipeline import grounded_samples
from medtrinity.quality.checks import analyse, shortcuts
from medtrinity.quality.checks.anatomy import anatomy_terms_in
from medtrinity.quality.checks.base import VerifyOptions, strip_labels
from medtrinity.quality.checks.counts import count_claims
from medtrinity.quality.checks.diagnosis import diagnosis_terms_in
from medtrinity.quality.checks.location import side_claims
from medtrinity.quality.checks.modality import other_modality_named
from medtrinity.quality.checks.numbers import bare_number, stated_numbers
from medtrinity.quality.checks.regions import clauses, position_claims, size_claims
from medtrinity.quality.checks.sizes import stated_sizes
from medtrinity.quality.facts import SampleFacts
from medtrinity.quality.model_mistakes import MODEL_MISTAKES
from medtrinity.quality.mutations import MUTATIONS
from medtrinity.quality.verify import find_issues

# words the checks and their pre-filters look for, and near misses that must not confuse them
PLANTED = (
    "the spleen", "left kidney", "right kidneys", "two lesions", "a single liver", "a  single lesion",
    "multiple nodules", "3 separate regions of the liver", "twelve foci", "hypodense", "hyperdense", "darker",
    "higher than", "lower than", "lower part of the image", "upper left part of the image", "the image's upper right",
    "of the\nimage", "on the patient's left", "right side of the patient", "left cerebral hemisphere",
    "left hepatic lobe", "right ventricle", "45 hu", "-12 hounsfield units", "12%", "30 percent", "7 slices",
    "35 x 26", "a mean of 217", "12 mm", "3 cm", "40 mm2", "5 ml", "120 pixels", "slice thickness 5 mm",
    "3 mm spacing", "L2", "10th rib", "T1-weighted", "cardiothoracic ratio 50%", "MRI", "mr", "x-ray", "ultrasound",
    "h&e", "PET", "brain", "pelvis", "chest", "within the kidney", "in the left lobe", "homogeneous",
    "heterogeneously", "non-homogeneous", "uniform", "mottled", "metastasis", "tumour", "oedema", "cyst",
    "the second lesion", "the first colon", "it", "lesions", "[P1]", "aortas", "costal cartilage", "l1liver",
    "liver2 lesions", "lowhigher partattenuation", "two colons", "the liver and spleen", "anechoic", "echogenic",
    "low attenuation", "bright", "one", "bone", "tent", ";", "(", ")",
    # a model's report phrasing (session 16's families) and its layout
    "ring enhancement", "enhances heterogeneously", "periventricular", "crosses the midline", "well expanded",
    "in its normal position", "is fatty", "foveal reflex", "disc margins", "are attenuated", "well focused",
    "hypodensity", "a focus", "area of low attenuation", "free fluid", "interstitial markings", "ascites",
    "papilledema", "dark", "no other lesions are marked", "to the left of the aorta", "ratio is increased",
    "intra-axial", "oral contrast", "fluid-fluid level", "pale", "1.", "\n- ", "**", "2)",
    "post-treatment", "is stable", "a new lesion", "incidental", "mild", "large left", "small amount of",
    "bilateral", "bibasilar", "13,500", "the liver 44 hu,", "kvp", "nine consecutive slices", "to the right of",
)


def _demo_cases(tmp_path_factory) -> list[tuple[str, SampleFacts]]:
    folder = tmp_path_factory.mktemp("fast_verify")
    config = parse_config({"sources": demo_sources(folder / "inputs", shared_data_dir()),
                           "knowledge": {"kb": "builtin"}})
    backend = make_backend("composer")
    cases = []
    for sample in grounded_samples(config, limit_per_source=25):
        sample.description = backend.describe(sample)
        cases.append((sample.description.text, SampleFacts.from_sample(sample)))
    return cases


def _edited(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(1, 4)):
        position = rng.randrange(len(words) + 1)
        choice = rng.random()
        if choice < 0.55:
            words.insert(position, rng.choice(PLANTED))
        elif choice < 0.75 and words:
            at = min(position, len(words) - 1)
            words[at] = {"left": "right", "right": "left"}.get(words[at], str(rng.randint(0, 400)))
        elif choice < 0.9 and len(words) > 2:
            at = rng.randrange(len(words) - 1)
            words[at], words[at + 1] = words[at + 1], words[at]
        elif words:
            del words[min(position, len(words) - 1)]
    return " ".join(words)


def _fresh(facts: SampleFacts) -> SampleFacts:
    """The same facts without the memo table (a fresh object, as each sample gets)."""
    return SampleFacts(**{name: getattr(facts, name) for name in facts.__dataclass_fields__})


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> list[tuple[str, SampleFacts]]:
    real = _demo_cases(tmp_path_factory)
    # the demo's real sources need the shared data; without it (a user's clone) the phantom's rows still count
    assert len(real) >= (40 if shared_data_dir() is not None else 20)
    rng = random.Random(14)
    found = list(real)
    for text, facts in real:
        for mutate in MUTATIONS.values():
            mutated = mutate(text, facts, rng.randrange(3))
            if mutated and mutated != text:
                found.append((mutated, facts))
        for name in rng.sample(sorted(MODEL_MISTAKES), 8):
            planted = MODEL_MISTAKES[name](text, facts, rng.randrange(4))
            if planted and planted != text:
                found.append((planted, facts))
    for _ in range(400):
        found.append((rng.choice(real)[0], rng.choice(real)[1]))  # another sample's text
    for _ in range(1500):
        text, facts = rng.choice(real)
        found.append((_edited(text, rng), facts))
    return found


def _issues(text: str, facts: SampleFacts) -> list[tuple[str, str]]:
    return [(issue.code, issue.message) for issue in find_issues(facts, text)]


def test_issues_with_shortcuts_equal_the_plain_computation(cases):
    shortcuts.clear_caches()
    fast = []
    for text, facts in cases:
        fresh = _fresh(facts)
        fast.append(_issues(text, fresh))
        assert _issues(text, fresh) == fast[-1]  # again on the same facts: from the memo table
    with shortcuts.plain():
        plain = [_issues(text, _fresh(facts)) for text, facts in cases]
    assert fast == plain
    flagged = sum(bool(issues) for issues in plain)
    assert len(cases) // 4 < flagged < len(cases)  # both clean and faulty texts were compared
    codes = {code for issues in plain for code, _ in issues}
    assert len(codes) >= 12, codes


def _parses(text: str, facts: SampleFacts) -> list:
    """Everything the checks derive from each sentence of ``text`` through a shortcut."""
    options = VerifyOptions()
    labels = tuple(sorted({roi.label.lower() for roi in facts.rois}, key=len, reverse=True))
    found = []
    for sentence in analyse(text, facts):
        pieces = clauses(sentence, options) if sentence.subjects else [(sentence.text, [])]
        found.append((
            sentence.text, [roi.index for roi in sentence.subjects], sentence.named, sentence.has_subject,
            anatomy_terms_in(sentence.text), diagnosis_terms_in(sentence.text), stated_sizes(sentence.text),
            stated_numbers(sentence.text), bare_number(sentence.text), count_claims(sentence.text, labels, True),
            other_modality_named(sentence.text, facts.modality or "ct"),
            [(clause, [roi.index for roi in rois], side_claims(clause, facts), strip_labels(facts, clause),
              position_claims(clause), size_claims(clause)) for clause, rois in pieces],
        ))
    return found


def test_sentence_parses_with_shortcuts_equal_the_plain_computation(cases):
    shortcuts.clear_caches()
    sample = cases[::3]
    fast = [_parses(text, _fresh(facts)) for text, facts in sample]
    with shortcuts.plain():
        plain = [_parses(text, _fresh(facts)) for text, facts in sample]
    assert fast == plain
    assert any(parse[6] for parses in plain for parse in parses)  # sizes were stated
    assert any(parse[9] for parses in plain for parse in parses)  # counts were stated


@pytest.mark.parametrize("text", [
    "lowhigher partattenuation of the liver",  # removing "higher part" joins "low attenuation"
    "two liver2 lesions",  # stripping "liver" frees the "2" before "lesions"
    "the l1liver is hypodense",
    "a heterogeneously enhancing liver",
    "it lies in the lower part of the\nimage, on the patient's left",
])
def test_edge_texts_agree(cases, text):
    facts = cases[0][1]
    shortcuts.clear_caches()
    fast = (_issues(text, _fresh(facts)), _parses(text, _fresh(facts)))
    with shortcuts.plain():
        assert (_issues(text, _fresh(facts)), _parses(text, _fresh(facts))) == fast


def _random_words(rng: random.Random, alphabet: str, count: int) -> list[str]:
    return sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) for _ in range(count)},
                  key=len, reverse=True)


def test_prefix_tree_alternation_matches_like_the_longest_first_alternation(cases):
    import re

    from medtrinity.quality.checks.shortcuts import trie_alternation
    from medtrinity.vocab.report_terms import anatomy_terms

    rng = random.Random(7)
    lexicon = sorted({term.lower() for term in anatomy_terms()}, key=len, reverse=True)
    tests = [(lexicon, [text.lower() for text, _ in cases[::2]])]
    for _ in range(300):  # small alphabets: words that are prefixes of one another, lookaheads that fail
        words = _random_words(rng, "ab c-", rng.randint(1, 12))
        texts = ["".join(rng.choice("ab c-.x") for _ in range(rng.randint(0, 40))) for _ in range(20)]
        tests.append((words, texts))
    compared = 0
    for words, texts in tests:
        plain = re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, words)) + r")(?:s|es)?(?![a-z])")
        tree = re.compile(r"(?<![a-z0-9])(" + trie_alternation(words) + r")(?:s|es)?(?![a-z])")
        for text in texts:
            found = [(match.span(), match.group(1)) for match in tree.finditer(text)]
            assert found == [(match.span(), match.group(1)) for match in plain.finditer(text)], (words, text)
            compared += bool(found)
    assert compared > 1000
