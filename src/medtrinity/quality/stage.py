"""The verify stage: faithfulness checks on every description, the optional judge, and QC notes.

A row with nothing grounded is a ``no_content`` reject unless ``quality.keep_no_content``. A pass or a flag
keeps the row; a flag and each issue code are counted as stage notes
(``qc_flag``, ``qc_issue:<code>``), so ``stats.json`` counts flagged rows too. A reject raises
:class:`~medtrinity.records.SampleError` with the first issue's code: the sample goes to rejects.
With the judge on, the stage takes batches so the judge's requests run concurrently.
"""

from __future__ import annotations

from pathlib import Path

from medtrinity.config import QualityConfig
from medtrinity.generation.backends import DescriptionBackend
from medtrinity.quality.verify import VerifyOptions, verify
from medtrinity.records import Sample, SampleError


class VerifyStage:
    """``run`` for one sample; ``run_batch`` when a judge scores the survivors together."""

    def __init__(self, settings: QualityConfig, generation_backend: DescriptionBackend | None = None,
                 out_dir: Path | None = None):
        self.settings = settings
        self.options = VerifyOptions(size_tolerance=settings.size_tolerance,
                                     size_tolerance_mm=settings.size_tolerance_mm)
        self.judge = None
        if settings.judge:
            from medtrinity.quality.judge import make_judge

            self.judge = make_judge(settings, generation_backend, out_dir)
        self.batch_size = max(1, self.judge.backend.batch_size) if self.judge is not None else 1
        self.run_batch = self._run_batch if self.judge is not None else None

    def check(self, sample: Sample) -> Sample:
        """Verify one sample: flag notes, or a SampleError for a reject."""
        sample.qc = verify(sample, self.settings.on_contradiction, self.options)
        codes = {issue.code for issue in sample.qc.issues}
        if "no_content" in codes and not self.settings.keep_no_content:
            raise SampleError("no_content", "nothing was grounded in this image (no region, no label, no measured "
                                            "organ); set quality.keep_no_content to keep such rows")
        if sample.qc.status == "reject":
            problems = "; ".join(f"{issue.code}: {issue.message}" for issue in sample.qc.issues)
            raise SampleError(sample.qc.issues[0].code if sample.qc.issues else "qc_reject", problems)
        if sample.qc.status == "flag":
            sample.notes.append("qc_flag")
            sample.notes.extend(f"qc_issue:{issue.code}" for issue in sample.qc.issues)
        return sample

    def run(self, sample: Sample) -> Sample:
        sample = self.check(sample)
        if self.judge is not None:
            self.judge(sample)
        return sample

    def _run_batch(self, samples: list[Sample]) -> list[Sample | Exception]:
        results: list[Sample | Exception] = []
        kept: list[Sample] = []
        for sample in samples:
            try:
                results.append(self.check(sample))
                kept.append(sample)
            except SampleError as error:
                results.append(error)
        if kept and self.judge is not None:
            self.judge.score(kept)
        return results


def make_verify(settings: QualityConfig, generation_backend: DescriptionBackend | None = None,
                out_dir: Path | None = None) -> VerifyStage:
    """The verify stage for these settings (the judge, when on, shares the generation backend by default)."""
    return VerifyStage(settings, generation_backend, out_dir)
