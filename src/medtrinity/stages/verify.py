"""The ``verify`` stage: faithfulness checks on every description, the optional judge, and QC notes.

A row with nothing grounded is a ``no_content`` reject unless ``quality.keep_no_content``. A pass or a
flag keeps the row; a flag and each issue code are counted as stage notes
(``qc_flag``, ``qc_issue:<code>``), so ``stats.json`` counts flagged rows too; a description the
judge could not score is the ``judge_failed`` note. A reject raises
:class:`~medtrinity.records.SampleError` with the first issue's code: the sample goes to rejects.
With the judge on, the stage takes batches so the judge's requests run concurrently.
"""

from __future__ import annotations

from collections.abc import Callable

from medtrinity.config import QualityConfig, RunConfig
from medtrinity.quality.verify import VerifyOptions, verify
from medtrinity.records import Sample, SampleError
from medtrinity.stages.base import Stage, StageContext

NAME = "verify"


def check_sample(sample: Sample, settings: QualityConfig, options: VerifyOptions,
                 note: Callable[[str], None]) -> Sample:
    """Verify one sample: count flag notes, or raise a SampleError for a reject."""
    sample.qc = verify(sample, settings.on_contradiction, options)
    if any(issue.code == "no_content" for issue in sample.qc.issues) and not settings.keep_no_content:
        raise SampleError("no_content", "nothing was grounded in this image (no region, no label, no measured "
                                        "organ); set quality.keep_no_content to keep such rows")
    if sample.qc.status == "reject":
        problems = "; ".join(f"{issue.code}: {issue.message}" for issue in sample.qc.issues)
        raise SampleError(sample.qc.issues[0].code if sample.qc.issues else "qc_reject", problems)
    if sample.qc.status == "flag":
        note("qc_flag")
        for issue in sample.qc.issues:
            note(f"qc_issue:{issue.code}")
    return sample


def build(config: RunConfig, context: StageContext) -> Stage:
    """The stage for ``config.quality``; with the judge on, it shares the generation backend by default."""
    settings = config.quality
    options = VerifyOptions(size_tolerance=settings.size_tolerance, size_tolerance_mm=settings.size_tolerance_mm)
    note = context.notes.for_stage(NAME)
    if not settings.judge:
        return Stage(NAME, lambda sample: check_sample(sample, settings, options, note))

    from medtrinity.quality.judge import make_judge

    judge = make_judge(settings, context.generation_backend, context.cache_dir)

    def score(samples: list[Sample]) -> None:
        judge.score(samples)
        for sample in samples:
            if sample.judge_scores is None:
                note("judge_failed")

    def run(sample: Sample) -> Sample:
        sample = check_sample(sample, settings, options, note)
        score([sample])
        return sample

    def run_batch(samples: list[Sample]) -> list[Sample | Exception]:
        results: list[Sample | Exception] = []
        kept: list[Sample] = []
        for sample in samples:
            try:
                results.append(check_sample(sample, settings, options, note))
                kept.append(sample)
            except SampleError as error:
                results.append(error)
        if kept:
            score(kept)
        return results

    return Stage(NAME, run, run_batch, max(1, judge.backend.batch_size))
