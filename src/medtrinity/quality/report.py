"""The ``qc`` and ``text`` blocks of ``stats.json``, from the merged per-shard counts."""

from __future__ import annotations

from medtrinity.quality.textstats import merge_text_stats


def qc_summary(stages: dict[str, dict]) -> dict:
    """Rows per QC status and issues per code, from the verify stage's notes and reject reasons.

    ``issues`` counts every code found on a flagged row and the (first) code of each rejected one.
    """
    verify = stages.get("verify", {})
    notes = verify.get("notes", {})
    flagged = int(notes.get("qc_flag", 0))
    issues: dict[str, int] = {}
    for key, count in notes.items():
        if key.startswith("qc_issue:"):
            code = key.split(":", 1)[1]
            issues[code] = issues.get(code, 0) + count
    for code, count in verify.get("reasons", {}).items():
        issues[code] = issues.get(code, 0) + count
    return {
        "pass": int(verify.get("out", 0)) - flagged,
        "flag": flagged,
        "reject": int(verify.get("rejected", 0)),
        "issues": dict(sorted(issues.items())),
    }


def text_summary(shard_results: list[dict]) -> dict:
    """Text statistics over every completed shard (see :mod:`medtrinity.quality.textstats`)."""
    return merge_text_stats(result.get("text") for result in shard_results)
