"""Question-answer pairs generated from each row's measured facts (never from its description text).

Open questions: modality, plane, MR sequence, the organ containing the lesion, the side, the
largest diameter with its unit, the number of lesions. Closed (yes/no) questions ask the same
facts as propositions, and each closed kind can be asked either way round (the true organ or
another one, the true side or the other, a size threshold below or above the measurement), so
the generator keeps the share of "yes" near one half over the whole file: for every closed
question it asks the polarity that brings the running share closer to 50 %.

A question is only asked when the row supports its answer: sides only for left/right ROIs (not
midline), sizes only with a measured diameter and size thresholds at least 2 mm and 15 % away
from it, counts only when every lesion ROI has the same label (nested BraTS-like regions are not
separate lesions), organ questions about lesions only when the containing organ was measured,
presence questions only positive (the organ list of a row is not exhaustive).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from medtrinity.evaluation.question_templates import CLOSED_TEMPLATES, OPEN_TEMPLATES, with_article
from medtrinity.evaluation.row_facts import (
    MODALITY_ANSWERS,
    PLANE_ANSWERS,
    SEQUENCE_ANSWERS,
    SIDES,
    RowFacts,
    Target,
    row_facts,
)
from medtrinity.records import stable_id

THRESHOLDS_CM = (0.5, 1, 2, 3, 4, 5, 7, 10, 15, 20)
MIN_MARGIN_MM = 2.0
MIN_MARGIN_SHARE = 0.15
DISTRACTOR_ORGANS = ("liver", "spleen", "pancreas", "stomach", "kidney", "lung", "brain", "bladder")
DISTRACTOR_MODALITIES = ("CT", "MRI", "X-ray", "ultrasound")
SIDE_WORDS = ("left", "right")


@dataclass
class Draft:
    """A question before its id and wording are fixed: kind, type, answer, what it asks, evidence."""

    kind: str
    answer_type: str
    answer: str
    slots: dict[str, str]
    evidence: dict[str, Any]
    asked: dict[str, Any] = field(default_factory=dict)


def _cm(value: float) -> str:
    return f"{value:g}"


def _threshold_mm(diameter_mm: float, above: bool) -> float | None:
    """A threshold (mm) clearly below (``above`` False: answer yes) or above (answer no) the diameter."""
    candidates = [cm * 10 for cm in THRESHOLDS_CM
                  if abs(diameter_mm - cm * 10) >= max(MIN_MARGIN_MM, MIN_MARGIN_SHARE * cm * 10)]
    if above:
        larger = [t for t in candidates if t > diameter_mm]
        return min(larger) if larger else None
    smaller = [t for t in candidates if t < diameter_mm]
    return max(smaller) if smaller else None


def _pick(options: Iterable[str], key: str) -> str | None:
    options = sorted(set(options))
    return options[int(stable_id(key), 16) % len(options)] if options else None


def _lesion_subject(facts: RowFacts) -> tuple[Target, str] | None:
    if not facts.lesions:
        return None
    measured = [t for t in facts.lesions if t.diameter_mm is not None] or facts.lesions
    primary = max(measured, key=lambda t: (t.diameter_mm or 0.0, -t.index))
    return primary, ("the largest lesion" if len(facts.lesions) > 1 else "the lesion")


class QuestionGenerator:
    """Turns rows into question records, keeping the yes/no balance over everything it has generated."""

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.yes = 0
        self.no = 0

    # ------------------------------------------------------------------ open and closed drafts per fact

    def _image_drafts(self, facts: RowFacts) -> list[Draft | tuple[str, Draft, Draft | None]]:
        drafts: list = []
        modality = MODALITY_ANSWERS.get(facts.modality)
        if modality:
            ev = {"modality": facts.modality}
            drafts.append(Draft("modality", "OPEN", modality, {}, ev))
            other = _pick([m for m in DISTRACTOR_MODALITIES if m != modality], facts.row_id + "modality")
            drafts.append(("modality", self._closed("modality", modality, ev, {"modality": modality}),
                           self._closed("modality", other, ev, {"modality": other}, positive=False)))
        if facts.plane in PLANE_ANSWERS:
            ev = {"plane": facts.plane}
            drafts.append(Draft("plane", "OPEN", facts.plane, {}, ev))
            other = _pick([p for p in PLANE_ANSWERS if p != facts.plane], facts.row_id + "plane")
            drafts.append(("plane", self._closed("plane", facts.plane, ev, {"plane": facts.plane}),
                           self._closed("plane", other, ev, {"plane": other}, positive=False)))
        if facts.sequence:
            ev = {"metadata.mr_sequence": list(facts.sequence)}
            names = [SEQUENCE_ANSWERS[token] for token in facts.sequence]
            drafts.append(Draft("sequence", "OPEN", " ".join(names), {}, ev))
            present = names[0]
            absent = _pick([SEQUENCE_ANSWERS[t] for t in ("t1", "t2", "flair", "dwi") if t not in facts.sequence],
                           facts.row_id + "sequence")
            drafts.append(("sequence", self._closed("sequence", present, ev, {"sequence": present}),
                           self._closed("sequence", absent, ev, {"sequence": absent}, positive=False)
                           if absent else None))
        return drafts

    def _closed(self, kind: str, value: str, evidence: dict, asked: dict, positive: bool = True,
                slots: dict | None = None) -> Draft:
        slots = dict(slots or {})
        if kind == "modality":
            slots.update(modality=value, a_modality=with_article(value))
        elif kind == "plane":
            slots.update(plane=value, a_plane=with_article(value))
        elif kind == "sequence":
            label = f"{value}-weighted" if value in {"T1", "T2", "PD"} else value
            slots.update(a_sequence=with_article(label))
        return Draft(kind, "CLOSED", "yes" if positive else "no", slots, evidence, asked)

    def _target_drafts(self, facts: RowFacts, target: Target, subject: str, is_lesion: bool) -> list:
        drafts: list = []
        slots = {"x": subject}
        if is_lesion and target.organ:
            ev = {target.key("containing_organ"): target.organ}
            drafts.append(Draft("organ", "OPEN", target.organ, slots, ev))
            other = _pick([o for o in DISTRACTOR_ORGANS if o not in target.organ and target.organ not in o]
                          + [o for o in facts.organ_names if o not in target.organ and target.organ not in o],
                          facts.row_id + "organ")
            drafts.append(("organ", self._closed("organ", target.organ, ev, {"organ": target.organ},
                                                 slots={**slots, "organ": target.organ}),
                           self._closed("organ", other, ev, {"organ": other}, positive=False,
                                        slots={**slots, "organ": other}) if other else None))
        names_side = any(word in target.label.split() for word in SIDE_WORDS)
        if target.side in SIDES and not (not is_lesion and names_side):
            ev = {target.key("patient_side"): target.side}
            other = "left" if target.side == "right" else "right"
            drafts.append(Draft("side", "OPEN", target.side, slots, ev))
            drafts.append(("side", self._closed("side", target.side, ev, {"side": target.side},
                                                slots={**slots, "side": target.side}),
                           self._closed("side", other, ev, {"side": other}, positive=False,
                                        slots={**slots, "side": other})))
        if target.diameter_mm is not None:
            ev = {target.key("largest_diameter_mm"): target.diameter_mm}
            drafts.append(Draft("size", "OPEN", f"{target.diameter_mm:.1f} mm", slots, ev))
            below, above = _threshold_mm(target.diameter_mm, False), _threshold_mm(target.diameter_mm, True)
            drafts.append(("size",
                           self._closed("size", "", ev, {"threshold_mm": below},
                                        slots={**slots, "threshold_cm": _cm(below / 10)}) if below else None,
                           self._closed("size", "", ev, {"threshold_mm": above}, positive=False,
                                        slots={**slots, "threshold_cm": _cm(above / 10)}) if above else None))
        if not is_lesion:
            drafts.append(("presence", Draft("presence", "CLOSED", "yes", slots, {target.key("label"): target.label},
                                             {"structure": target.label}), None))
        return drafts

    def _count_drafts(self, facts: RowFacts) -> list:
        labels = {t.label for t in facts.lesions}
        if len(labels) != 1:
            return []
        count = len(facts.lesions)
        ev = {f"rois[{t.index}].label": t.label for t in facts.lesions}
        slots = {"things": "lesions", "thing": "lesion"}
        closed = Draft("count", "CLOSED", "yes" if count > 1 else "no", slots, ev, {"more_than": 1})
        return [Draft("count", "OPEN", str(count), slots, ev), ("count", closed, None)]

    # ------------------------------------------------------------------ wording, polarity, records

    def _choose(self, positive: Draft | None, negative: Draft | None) -> Draft | None:
        wanted_yes = self.yes <= self.no
        first, second = (positive, negative) if wanted_yes else (negative, positive)
        chosen = first or second
        if chosen is not None:
            if chosen.answer == "yes":
                self.yes += 1
            else:
                self.no += 1
        return chosen

    def _record(self, row: dict[str, Any], draft: Draft) -> dict[str, Any]:
        templates = (OPEN_TEMPLATES if draft.answer_type == "OPEN" else CLOSED_TEMPLATES)[draft.kind]
        wording = int(stable_id(self.seed, row["id"], draft.kind, draft.answer_type), 16) % len(templates)
        slots = dict(draft.slots)
        if "x" in slots:
            slots["X"] = slots["x"][:1].upper() + slots["x"][1:]
        question = templates[wording].format(**slots)
        return {
            "id": stable_id(row["id"], draft.kind, draft.answer_type, question),
            "row_id": row["id"], "source": row.get("source", ""), "image_sha256": row.get("image_sha256", ""),
            "question": question, "answer": draft.answer, "answer_type": draft.answer_type, "kind": draft.kind,
            "evidence": sorted(draft.evidence), "facts": draft.evidence, "asked": draft.asked, "template": wording,
        }

    def row_questions(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        """Every question the row supports, closed ones in the polarity that keeps the file balanced."""
        facts = row_facts(row)
        drafts = self._image_drafts(facts)
        lesion = _lesion_subject(facts)
        if lesion is not None:
            drafts += self._target_drafts(facts, lesion[0], lesion[1], is_lesion=True)
            drafts += self._count_drafts(facts)
        else:
            for organ in facts.organs:
                drafts += self._target_drafts(facts, organ, f"the {organ.label}", is_lesion=False)
        records = []
        for draft in drafts:
            chosen = self._choose(draft[1], draft[2]) if isinstance(draft, tuple) else draft
            if chosen is not None:
                records.append(self._record(row, chosen))
        return records


def iter_questions(rows: Iterable[dict[str, Any]], seed: int = 0) -> Iterator[dict[str, Any]]:
    """Question records row after row, as the rows come; the yes/no balance is kept over all yielded so far."""
    generator = QuestionGenerator(seed)
    for row in rows:
        yield from generator.row_questions(row)


def generate_questions(rows: Iterable[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """Question records for all rows, in row order; yes/no balanced over the whole list."""
    return list(iter_questions(rows, seed))
