"""``medtrinity report``: one self-contained HTML file whose plots carry the run's real counts."""

from __future__ import annotations

import base64
import re

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from medtrinity.cli import app
from medtrinity.report.page import SECTIONS
from medtrinity.run_folder import read_parquet_folder

from .export_runs import make_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_and_report(tmp_path_factory):
    run = make_run(tmp_path_factory.mktemp("report-run"))
    out = run.parent / "report.html"
    result = CliRunner().invoke(app, ["report", str(run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return run, out.read_text(encoding="utf-8")


def _bar_titles(html: str, plot_id: str) -> dict[str, str]:
    """label -> value text of each bar of one plot, read from the bars' own tooltips."""
    match = re.search(rf'<svg class="plot[^"]*" data-plot="{plot_id}".*?</svg>', html, re.S)
    assert match, f"plot {plot_id} missing"
    return dict(re.findall(r'<rect class="bar"[^>]*><title>([^<]*): ([^<]*)</title>', match.group(0)))


def test_every_plot_is_present(run_and_report):
    _, html = run_and_report
    for _, plot_ids in SECTIONS:
        for plot_id in plot_ids:
            assert f'data-plot="{plot_id}"' in html


def test_plots_show_the_runs_counts(run_and_report):
    run, html = run_and_report
    rows = read_parquet_folder(run / "triplets").to_pylist()
    rejects = read_parquet_folder(run / "rejects").to_pylist()
    modalities: dict[str, int] = {}
    for row in rows:
        modalities[row["modality"]] = modalities.get(row["modality"], 0) + 1
    assert _bar_titles(html, "samples-by-modality") == {name: str(count) for name, count in modalities.items()}
    reasons: dict[str, int] = {}
    for reject in rejects:
        reasons[reject["code"]] = reasons.get(reject["code"], 0) + 1
    assert reasons and _bar_titles(html, "rejects-by-reason") == {code: str(n) for code, n in reasons.items()}
    statuses = _bar_titles(html, "qc-status")
    assert sum(int(value) for value in statuses.values()) == len(rows)
    roi_count = sum(len(row["rois"]) for row in rows)
    area_bins = re.search(r'data-plot="roi-area-px".*?</svg>', html, re.S).group(0)
    assert sum(int(n) for n in re.findall(r"</?[^>]*>[^<]*: (\d+)</title>", area_bins)) == roi_count
    stage_times = _bar_titles(html, "seconds-per-stage")
    assert {"read", "ground", "generate"} <= set(stage_times)


def test_gallery_images_are_inline_pngs_with_coloured_outlines(run_and_report):
    _, html = run_and_report
    sources = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(sources) >= 3
    coloured = 0
    for encoded in sources:
        image = cv2.imdecode(np.frombuffer(base64.b64decode(encoded), np.uint8), cv2.IMREAD_COLOR)
        assert image is not None
        blue, green, red = (image[..., channel].astype(int) for channel in range(3))
        coloured += int(((abs(red - green) > 60) | (abs(green - blue) > 60)).any())
    assert coloured >= len(sources) - 1  # grey sources gain coloured outlines


def test_no_external_url(run_and_report):
    _, html = run_and_report
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.I)
    for attribute in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html, re.I):
        assert attribute.startswith("data:") or attribute.startswith("#"), attribute
    assert "<link" not in html and "<script" not in html and "@import" not in html and "url(" not in html


def test_report_of_a_folder_without_triplets_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "no triplets/part-*.parquet" in result.output
