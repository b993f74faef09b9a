"""The generate stage: one backend per worker process, called one sample or one batch at a time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medtrinity.config import GenerationConfig
from medtrinity.generation.backends import DescriptionBackend, make_backend
from medtrinity.records import Sample, SampleError


@dataclass
class GenerateStage:
    """``run`` for one sample, ``run_batch`` for many (a failure is returned in the sample's place)."""

    backend: DescriptionBackend

    @property
    def batch_size(self) -> int:
        return max(1, int(self.backend.batch_size))

    def run(self, sample: Sample) -> Sample:
        sample.description = self.backend.describe(sample)
        return sample

    def run_batch(self, samples: list[Sample]) -> list[Sample | Exception]:
        results = self.backend.describe_batch(samples)
        if len(results) != len(samples):
            raise RuntimeError(f"backend {self.backend.name!r} returned {len(results)} results for {len(samples)}")
        out: list[Sample | Exception] = []
        for sample, result in zip(samples, results, strict=True):
            if isinstance(result, Exception):
                out.append(result if isinstance(result, SampleError) else SampleError("generate_error", str(result)))
            else:
                sample.description = result
                out.append(sample)
        return out


def make_generate(settings: GenerationConfig, out_dir: Path | None = None) -> GenerateStage:
    """The stage for these settings; ``out_dir`` is where a model backend keeps its request cache."""
    return GenerateStage(make_backend(settings.backend, settings.options, cache_root=out_dir))
