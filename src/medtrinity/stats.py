"""Counts and timings per stage and per reject reason, mergeable across shards."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StageStats:
    """What one stage saw: samples in, out, rejected (by reason code) and seconds spent."""

    samples_in: int = 0
    samples_out: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def reject(self, code: str) -> None:
        self.rejected += 1
        self.reasons[code] = self.reasons.get(code, 0) + 1

    def note(self, code: str, count: int = 1) -> None:
        """Count an event that is not a reject (for instance ``no_roi``: kept with its global description)."""
        self.notes[code] = self.notes.get(code, 0) + count

    def to_dict(self) -> dict:
        return {
            "in": self.samples_in,
            "out": self.samples_out,
            "rejected": self.rejected,
            "reasons": dict(sorted(self.reasons.items())),
            "notes": dict(sorted(self.notes.items())),
            "seconds": round(self.seconds, 4),
        }


def merge_stage_dicts(parts: list[dict[str, dict]]) -> dict[str, dict]:
    """Sum per-stage dicts (as written by ``StageStats.to_dict``) from many shards."""
    merged: dict[str, dict] = {}
    for part in parts:
        for stage, values in part.items():
            total = merged.setdefault(stage, {"in": 0, "out": 0, "rejected": 0, "reasons": {}, "seconds": 0.0})
            for key in ("in", "out", "rejected"):
                total[key] += values.get(key, 0)
            total["seconds"] = round(total["seconds"] + values.get("seconds", 0.0), 4)
            for key in ("reasons", "notes"):
                bucket = total.setdefault(key, {})
                for code, count in values.get(key, {}).items():
                    bucket[code] = bucket.get(code, 0) + count
    for values in merged.values():
        values["reasons"] = dict(sorted(values["reasons"].items()))
        values["notes"] = dict(sorted(values.get("notes", {}).items()))
    return merged
