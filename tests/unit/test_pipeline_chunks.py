"""A shard takes its samples through the stages in chunks: the same rows, rejects and counts as one at a time,
and a batch stage still gets the batches it got when the chunk was its batch size."""

from __future__ import annotations

import pytest

from medtrinity import pipeline
from medtrinity.config import parse_config
from medtrinity.datapaths import shared_data_dir
from medtrinity.demo import demo_sources
from medtrinity.pipeline import _run_stage, process_shard
from medtrinity.runner import plan_shards
from medtrinity.stages import Stage, StageContext
from medtrinity.stats import StageStats


def _shard_outputs(config, specs):
    found = []
    for spec in specs:
        output = process_shard(spec, config)
        counts = {name: {key: value for key, value in stats.items() if key != "seconds"}
                  for name, stats in output.stages.items()}
        found.append((output.rows, output.reject_rows, counts))
    return found


def test_chunked_shards_equal_one_sample_at_a_time(tmp_path, monkeypatch):
    sources = demo_sources(tmp_path / "inputs", shared_data_dir())
    config = parse_config({"sources": sources, "preprocess": {"duplicates": "exact"}})
    specs = plan_shards(config)
    monkeypatch.setattr(pipeline, "SAMPLES_PER_CHUNK", 1)
    one_by_one = _shard_outputs(config, specs)
    assert sum(len(rows) for rows, _, _ in one_by_one) > 40
    assert any(rejects for _, rejects, _ in one_by_one)  # rejects keep their place among the rows too
    for size, limit_bytes in ((3, 64 * 2**20), (16, 64 * 2**20), (16, 300_000)):  # the last: ends by bytes
        monkeypatch.setattr(pipeline, "SAMPLES_PER_CHUNK", size)
        monkeypatch.setattr(pipeline, "CHUNK_PIXEL_BYTES", limit_bytes)
        assert _shard_outputs(config, specs) == one_by_one, (size, limit_bytes)


@pytest.mark.parametrize("batch_group", [1, 4])
def test_batch_stage_takes_the_samples_of_each_run_of_read_numbers(batch_group):
    calls = []

    def run(sample):
        calls.append(("one", sample))
        return sample

    def run_batch(samples):
        calls.append(("batch", tuple(samples)))
        return list(samples)

    stage = Stage("recording", run, run_batch, batch_group)
    numbered = [(seq, f"s{seq}") for seq in (0, 1, 2, 5, 6, 7, 8, 12)]  # 3, 4, 9-11: rejected before
    survivors = _run_stage(stage, numbered, StageStats(), [], StageContext(), batch_group)
    assert survivors == numbered
    if batch_group == 1:
        assert calls == [("one", sample) for _, sample in numbered]
    else:
        assert calls == [("batch", ("s0", "s1", "s2")), ("batch", ("s5", "s6", "s7")), ("one", "s8"), ("one", "s12")]
