"""Grounded samples of a config, ready for a backend: the stages before ``generate`` run over every item.

Used by the mutation set, the verifier's self-checks and ``benchmarks/generation.py`` to obtain
real inputs for the description backends without writing a run folder.
"""

from __future__ import annotations

from collections.abc import Iterator

from medtrinity.config import RunConfig
from medtrinity.records import Sample, SampleError


def grounded_samples(config: RunConfig, limit_per_source: int | None = None) -> Iterator[Sample]:
    """Every sample of every source after preprocess, ground, caption and retrieve (rejects skipped)."""
    from medtrinity.pipeline import build_stages
    from medtrinity.sources import make_reader

    stages = [stage for stage in build_stages(config) if stage.name not in {"generate", "verify"}]
    for source in config.sources:
        reader = make_reader(source, config)
        produced = 0
        for item in reader.list_items():
            try:
                samples = list(reader.read(item))
            except SampleError:
                continue
            for sample in samples:
                try:
                    for stage in stages:
                        sample = stage.run(sample)
                except SampleError:
                    continue
                yield sample
                produced += 1
                if limit_per_source is not None and produced >= limit_per_source:
                    break
            if limit_per_source is not None and produced >= limit_per_source:
                break
