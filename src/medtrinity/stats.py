"""Counts and timings per stage and per reject reason, mergeable across shards."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


def _add_counts(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    total = dict(first)
    for code, count in second.items():
        total[code] = total.get(code, 0) + count
    return dict(sorted(total.items()))


@dataclass
class StageStats:
    """What one stage saw: samples in, out, rejected (by reason code), notes (by code) and seconds spent.

    ``a + b`` sums two stages' counts (shards merge this way); ``to_dict`` / ``from_dict`` are the
    ``stats.json`` and shard-marker form, and round-trip.
    """

    samples_in: int = 0
    samples_out: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def reject(self, code: str, count: int = 1) -> None:
        self.rejected += count
        self.reasons[code] = self.reasons.get(code, 0) + count

    def note(self, code: str, count: int = 1) -> None:
        """Count an event that is not a reject (for instance ``no_roi``: kept with its global description)."""
        self.notes[code] = self.notes.get(code, 0) + count

    def remove_later(self, code: str, count: int) -> None:
        """Count ``count`` rows that left after the stage passed them (the run-wide duplicate pass)."""
        self.samples_out -= count
        self.reject(code, count)

    def __add__(self, other: StageStats) -> StageStats:
        return StageStats(
            samples_in=self.samples_in + other.samples_in,
            samples_out=self.samples_out + other.samples_out,
            rejected=self.rejected + other.rejected,
            reasons=_add_counts(self.reasons, other.reasons),
            notes=_add_counts(self.notes, other.notes),
            seconds=round(self.seconds + other.seconds, 4),
        )

    def to_dict(self) -> dict:
        return {
            "in": self.samples_in,
            "out": self.samples_out,
            "rejected": self.rejected,
            "reasons": dict(sorted(self.reasons.items())),
            "notes": dict(sorted(self.notes.items())),
            "seconds": round(self.seconds, 4),
        }

    @classmethod
    def from_dict(cls, value: dict) -> StageStats:
        """The inverse of :meth:`to_dict` (missing keys count as zero, for markers of older runs)."""
        return cls(
            samples_in=int(value.get("in", 0)),
            samples_out=int(value.get("out", 0)),
            rejected=int(value.get("rejected", 0)),
            reasons={str(k): int(v) for k, v in value.get("reasons", {}).items()},
            notes={str(k): int(v) for k, v in value.get("notes", {}).items()},
            seconds=float(value.get("seconds", 0.0)),
        )


def merge_stages(parts: Iterable[dict[str, dict]]) -> dict[str, StageStats]:
    """Sum per-stage dicts (as written by ``StageStats.to_dict`` into shard markers) from many shards."""
    merged: dict[str, StageStats] = {}
    for part in parts:
        for stage, values in part.items():
            merged[stage] = merged.get(stage, StageStats()) + StageStats.from_dict(values)
    return merged


def merge_stage_dicts(parts: list[dict[str, dict]]) -> dict[str, dict]:
    """Sum per-stage dicts from many shards, as dicts (what ``stats.json`` holds)."""
    return {stage: stats.to_dict() for stage, stats in merge_stages(parts).items()}
