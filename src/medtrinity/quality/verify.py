"""Faithfulness verification: does a description contradict, or go beyond, what was measured?

The text is read sentence by sentence (:func:`medtrinity.quality.checks.base.analyse`) and every
check of :data:`medtrinity.quality.checks.CHECKS` (one module per claim family, one signature)
compares the claims it understands with :class:`~medtrinity.quality.facts.SampleFacts`, built from
a Sample during a run or from a written row by ``medtrinity verify``. The same checks run whatever
wrote the text: the composer, the ``openai`` or ``vllm`` backends, or a person.
"""

from __future__ import annotations

from medtrinity.quality.checks import CHECKS, ISSUE_CODES, VerifyOptions, analyse
from medtrinity.quality.facts import SampleFacts
from medtrinity.records import QC, QCIssue, Sample

__all__ = ["ISSUE_CODES", "VerifyOptions", "find_issues", "verify", "verify_row", "verify_text"]


def find_issues(facts: SampleFacts, text: str, options: VerifyOptions | None = None) -> list[QCIssue]:
    """Every problem found in ``text`` against the facts (at most one issue per check)."""
    options = options or VerifyOptions()
    sentences = analyse(text, facts)
    issues = [issue for check in CHECKS.values() for issue in check(facts, sentences, options)]
    order = {code: i for i, code in enumerate(ISSUE_CODES)}
    return sorted(issues, key=lambda issue: order.get(issue.code, len(order)))


def verify_text(
    facts: SampleFacts, text: str | None, on_contradiction: str = "flag", options: VerifyOptions | None = None
) -> QC:
    """QC of a description text against the facts; any issue sets the status to ``on_contradiction``."""
    if not text or not text.strip():
        return QC(status="reject", issues=[QCIssue("no_description", "no description was generated")])
    issues = find_issues(facts, text, options)
    return QC(status=on_contradiction if issues else "pass", issues=issues)


def verify(sample: Sample, on_contradiction: str = "flag", options: VerifyOptions | None = None) -> QC:
    """Run every check on the sample's description."""
    if sample.description is None:
        return QC(status="reject", issues=[QCIssue("no_description", "no description was generated")])
    return verify_text(SampleFacts.from_sample(sample), sample.description.text, on_contradiction, options)


def verify_row(row: dict, on_contradiction: str = "flag", options: VerifyOptions | None = None) -> QC:
    """Re-check a written triplet row's ``description_text`` against its stored measurements."""
    return verify_text(SampleFacts.from_row(row), row.get("description_text"), on_contradiction, options)
