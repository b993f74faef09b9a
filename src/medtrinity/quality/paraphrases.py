"""True descriptions said another way, to measure the verifier's false alarms on phrasing it was not written from.

The mutation set (:mod:`medtrinity.quality.mutations`) counts the mistakes the verifier catches and checks that
the composer's own text raises nothing; but a check written from the composer's output may only understand the
composer's phrasing, and flag the same facts said as a model or a radiologist says them. Each paraphrase here
rewrites a description without changing what it claims: sizes in centimetres or "by", areas with a thousands
separator or as "an area of", the patient's side in other words, other verbs of contact, plain words for an
intensity, Hounsfield units spelt out, slice counts in digits, sentences joined by semicolons, a report's layout.
Each has the mutation signature ``(text, facts, seed) -> text | None`` (None: nothing to rewrite). Every
paraphrase of a description that passes must pass.
"""

from __future__ import annotations

import re

from medtrinity.quality.facts import SampleFacts
from medtrinity.vocab.words import NUMBER_WORDS

_DIMENSIONS = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?) x (\d+(?:\.\d+)?) mm(?![a-z0-9])")
_AREA = re.compile(r"(?<![\d.])(\d{4,}) mm2(?![a-z0-9])")
_AREA_BRACKET = re.compile(r"\(area (\d+(?:\.\d+)?) mm2\)")
_SIDES = (("on the patient's right side", "on the right side"), ("on the patient's left side", "on the left side"),
          ("on the right side of the patient's body", "on the patient's right-hand side"),
          ("on the left side of the patient's body", "on the patient's left-hand side"))
_CONTACT = (("is adjacent to", "lies in contact with"), ("borders", "abuts"), ("abuts", "touches"))
_PLAIN_INTENSITY = re.compile(r"\b(hyperdense|hyperattenuating|hyperintense|hypodense|hypoattenuating|hypointense)"
                              r"( (?:compared with|relative to|to) (?:the adjacent tissue|its surroundings))")
_HU = re.compile(r"(?<=\d) HU\b")
_SLICES_IN_WORDS = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) slices\b")
_SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z])")


def in_centimetres(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"229 x 112 mm" -> "22.9 x 11.2 cm" (what a report writes for an organ)."""
    def convert(match: re.Match) -> str:
        return f"{float(match.group(1)) / 10:.1f} x {float(match.group(2)) / 10:.1f} cm"

    return _DIMENSIONS.sub(convert, text) if _DIMENSIONS.search(text) else None


def by_and_times(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"35.2 x 25.6 mm" -> "35.2 by 25.6 mm" or "35.2 × 25.6 mm"."""
    joint = (" by ", " × ")[seed % 2]
    return _DIMENSIONS.sub(lambda m: f"{m.group(1)}{joint}{m.group(2)} mm", text) if _DIMENSIONS.search(text) \
        else None


def area_phrased(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"(area 13536 mm2)" -> ", with an area of about 13,536 mm²" (a separator and a superscript)."""
    if not _AREA_BRACKET.search(text):
        return None

    def phrase(match: re.Match) -> str:
        value = match.group(1)
        written = f"{int(value):,}" if value.isdigit() else value
        return f"with an area of about {written} mm²"

    return _AREA_BRACKET.sub(phrase, text)


def sides_reworded(text: str, facts: SampleFacts, seed: int) -> str | None:
    """The patient's side in other words ("on the right side", "on the patient's right-hand side")."""
    changed = text
    for old, new in _SIDES:
        changed = changed.replace(old, new)
    return changed if changed != text else None


def contact_reworded(text: str, facts: SampleFacts, seed: int) -> str | None:
    """Other verbs of contact: "is adjacent to" -> "lies in contact with", "borders" -> "abuts"."""
    changed = text
    for old, new in _CONTACT:
        if old in changed:
            changed = changed.replace(old, new)
            break
    return changed if changed != text else None


def intensity_in_plain_words(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"hyperdense compared with the adjacent tissue" -> "brighter compared with the adjacent tissue"."""
    def plain(match: re.Match) -> str:
        return ("brighter" if match.group(1).startswith("hyper") else "darker") + match.group(2)

    return _PLAIN_INTENSITY.sub(plain, text) if _PLAIN_INTENSITY.search(text) else None


def hounsfield_spelt_out(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"44 HU" -> "44 Hounsfield units"."""
    return _HU.sub(" Hounsfield units", text) if _HU.search(text) else None


def slices_in_digits(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"spanning six slices" -> "spanning 6 slices"."""
    return _SLICES_IN_WORDS.sub(lambda m: f"{NUMBER_WORDS[m.group(1)]} slices", text) \
        if _SLICES_IN_WORDS.search(text) else None


def joined_by_semicolons(text: str, facts: SampleFacts, seed: int) -> str | None:
    """Two sentences joined by a semicolon, the second's first letter lower case (a model's run-on style)."""
    parts = _SENTENCE_END.split(text.strip())
    if len(parts) < 3:
        return None
    at = 1 + seed % (len(parts) - 2)
    second = parts[at + 1]
    if second[:1].isupper() and second[1:2].islower():  # not "L1 vertebra", "CT"
        parts[at] = parts[at].rstrip(".") + "; " + second[:1].lower() + second[1:]
        del parts[at + 1]
        return " ".join(parts)
    return None


_AREA_MM2 = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)?) mm2(?![a-z0-9])")
_VOLUME = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?) ml(?![a-z])")
_CONTACT_SENTENCE = re.compile(r"^The ([a-z][a-z0-9 ]*?) (borders|abuts|is adjacent to) the ([a-z][a-z0-9 ]*?)\.$")
_LONG_WIDE = re.compile(r"measures (\d+(?:\.\d+)?) x (\d+(?:\.\d+)?) mm")
_PIECES = re.compile(r"\b(two|three|four|five|six|seven|eight|nine) (separate )?pieces\b")
_SPELLING = (("tumour", "tumor"), ("oesophagus", "esophagus"), ("haemorrhage", "hemorrhage"), ("oedema", "edema"),
             ("haematoma", "hematoma"), ("haemangioma", "hemangioma"))
_PERCENT_ABOVE = re.compile(r"\(mean (about )?(\d+)% (above|below) it\)")


def area_in_square_centimetres(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"9819 mm2" -> "98.2 cm²"."""
    return _AREA_MM2.sub(lambda m: f"{float(m.group(1)) / 100:.1f} cm²", text) if _AREA_MM2.search(text) else None


def volume_units(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"14.0 ml" -> "14.0 mL", "14.0 cc" or "14.0 cm³"."""
    unit = ("mL", "cc", "cm³")[seed % 3]
    return _VOLUME.sub(lambda m: f"{m.group(1)} {unit}", text) if _VOLUME.search(text) else None


def contact_reversed(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"The liver borders the stomach." -> "The stomach borders the liver." (a contact holds both ways)."""
    parts = _SENTENCE_END.split(text.strip())
    for index, part in enumerate(parts):
        found = _CONTACT_SENTENCE.match(part)
        if found and not any(" and " in name or "," in name or name.endswith("s") or len(name.split()) > 4
                             for name in (found.group(1), found.group(3))):  # one structure each, singular
            parts[index] = f"The {found.group(3)} {found.group(2)} the {found.group(1)}."
            return " ".join(parts)
    return None


def length_and_width(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"measures 17.3 x 15.2 mm" -> "is 17.3 mm long and 15.2 mm wide"."""
    return _LONG_WIDE.sub(lambda m: f"is {m.group(1)} mm long and {m.group(2)} mm wide", text) \
        if _LONG_WIDE.search(text) else None


def pieces_in_digits(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"three separate pieces" -> "3 separate pieces"."""
    return _PIECES.sub(lambda m: f"{NUMBER_WORDS[m.group(1)]} {m.group(2) or ''}pieces", text) \
        if _PIECES.search(text) else None


def other_spelling(text: str, facts: SampleFacts, seed: int) -> str | None:
    """British and American spellings swapped ("tumour" <-> "tumor", "oedema" <-> "edema")."""
    changed = text
    for british, american in _SPELLING:
        for old, new in ((british, american), (american, british)):
            found = re.compile(rf"\b{old}(s?)\b")
            if found.search(changed):
                changed = found.sub(lambda m, new=new: new + m.group(1), changed)
                break
    return changed if changed != text else None


def percent_in_words(text: str, facts: SampleFacts, seed: int) -> str | None:
    """"(mean about 22% above it)" -> ", its mean roughly 22 percent higher than its surroundings'"."""
    def words(match: re.Match) -> str:
        direction = "higher" if match.group(3) == "above" else "lower"
        return f"(its mean roughly {match.group(2)} percent {direction} than that of its surroundings)"

    return _PERCENT_ABOVE.sub(words, text) if _PERCENT_ABOVE.search(text) else None


def report_layout(text: str, facts: SampleFacts, seed: int) -> str | None:
    """A report's layout: a bold heading, one sentence a line as a numbered or bulleted list."""
    parts = _SENTENCE_END.split(text.strip())
    marker = ("{n}. ", "- ", "* ")[seed % 3]
    return "**Findings:**\n" + "\n".join(marker.format(n=n + 1) + part for n, part in enumerate(parts))


PARAPHRASES = {
    "centimetres": in_centimetres,
    "by_and_times": by_and_times,
    "area_phrased": area_phrased,
    "sides_reworded": sides_reworded,
    "contact_reworded": contact_reworded,
    "plain_intensity": intensity_in_plain_words,
    "hounsfield": hounsfield_spelt_out,
    "slices_in_digits": slices_in_digits,
    "semicolons": joined_by_semicolons,
    "square_centimetres": area_in_square_centimetres,
    "volume_units": volume_units,
    "contact_reversed": contact_reversed,
    "length_and_width": length_and_width,
    "pieces_in_digits": pieces_in_digits,
    "spelling": other_spelling,
    "percent_in_words": percent_in_words,
    "report_layout": report_layout,
}


def all_paraphrases(text: str, facts: SampleFacts, seed: int) -> str:
    """Every paraphrase that applies, one after another."""
    for paraphrase in PARAPHRASES.values():
        text = paraphrase(text, facts, seed) or text
    return text


def run_paraphrase_set(cases: list[tuple[str, str, SampleFacts]], verify_text) -> dict:
    """Paraphrase every ``(case_id, text, facts)`` whose text passes, each way and all ways at once; every
    paraphrase that raises an issue is a false alarm.

    Returns ``{"originals": n, "paraphrased": n, "types": {name: {"paraphrased", "false_alarms": [...]}}}``.
    """
    report: dict = {"originals": 0, "paraphrased": 0, "types": {}}
    for number, (case_id, text, facts) in enumerate(cases):
        if verify_text(facts, text).issues:
            continue  # only a passing original can show a paraphrase's false alarm
        report["originals"] += 1
        for name, paraphrase in (*PARAPHRASES.items(), ("all", all_paraphrases)):
            counts = report["types"].setdefault(name, {"paraphrased": 0, "false_alarms": []})
            changed = paraphrase(text, facts, number)
            if not changed or changed == text:
                continue
            counts["paraphrased"] += 1
            report["paraphrased"] += 1
            issues = verify_text(facts, changed).issues
            if issues:
                counts["false_alarms"].append({"case": case_id, "text": changed,
                                               "issues": [f"{issue.code}: {issue.message}" for issue in issues]})
    return report
