"""The ``generate`` stage: one description backend per stage, called one sample or one batch at a time."""

from __future__ import annotations

from medtrinity.config import RunConfig
from medtrinity.generation.backends import DescriptionBackend, make_backend
from medtrinity.records import Sample, SampleError
from medtrinity.stages.base import Stage, StageContext

NAME = "generate"


def describe_batch(backend: DescriptionBackend, samples: list[Sample]) -> list[Sample | Exception]:
    """Describe many samples; a failure is returned in the sample's place as a SampleError."""
    results = backend.describe_batch(samples)
    if len(results) != len(samples):
        raise RuntimeError(f"backend {backend.name!r} returned {len(results)} results for {len(samples)}")
    out: list[Sample | Exception] = []
    for sample, result in zip(samples, results, strict=True):
        if isinstance(result, Exception):
            out.append(result if isinstance(result, SampleError) else SampleError("generate_error", str(result)))
        else:
            sample.description = result
            out.append(sample)
    return out


def build(config: RunConfig, context: StageContext) -> Stage:
    """The stage for ``config.generation``; the backend keeps its request cache under ``context.cache_dir``."""
    settings = config.generation
    backend = make_backend(settings.backend, settings.options, cache_root=context.cache_dir)
    context.generation_backend = backend

    def run(sample: Sample) -> Sample:
        sample.description = backend.describe(sample)
        return sample

    return Stage(NAME, run, lambda samples: describe_batch(backend, samples), max(1, int(backend.batch_size)))
