"""The viewer in a real browser: Playwright driving Debian's chromium against ``medtrinity view`` on 127.0.0.1.

Open, filter, click a sentence and see its ROI highlighted on the canvas, reject a row, reload and see
the decision kept, export and see the row gone.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from medtrinity.export.formats import export_run
from medtrinity.export.reviews import REVIEWS_NAME
from medtrinity.io.rle import decode_mask
from medtrinity.run_folder import read_parquet_folder

from .export_runs import make_run

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-quic"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed at /usr/bin/chromium "
                                                     "(apt-get install -y chromium; .ci/run does this)"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def viewer(tmp_path_factory):
    """A run and a viewer server on it; the server is stopped by its PID."""
    run = make_run(tmp_path_factory.mktemp("viewer-run"))
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    server = subprocess.Popen([sys.executable, "-m", "medtrinity", "view", str(run), "--port", str(port),
                               "--reviewer", "browser-test"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/facets", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.poll() is not None else "(still running)"
                    pytest.fail(f"viewer did not start: {output}")
                time.sleep(0.3)
        yield run, url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _inside_pixel(roi: dict) -> tuple[int, int]:
    """A pixel well inside the ROI: the mask pixel nearest its centroid."""
    mask = decode_mask(roi["mask_rle"])
    rows, columns = np.nonzero(mask)
    cx, cy = roi["centroid_xy"]
    nearest = int(np.argmin((columns - cx) ** 2 + (rows - cy) ** 2))
    return int(columns[nearest]), int(rows[nearest])


def _pixel(page, x: int, y: int) -> list[int]:
    return page.evaluate(
        "([x, y]) => Array.from(document.querySelector('#image-canvas').getContext('2d')"
        ".getImageData(x, y, 1, 1).data)", [x, y])


def _is_highlight_yellow(rgba: list[int]) -> bool:
    red, green, blue = rgba[:3]
    return red > 200 and green > 190 and blue < 110


def test_filter_highlight_reject_reload_export(viewer, browser, tmp_path):
    run, url = viewer
    rows = read_parquet_folder(run / "triplets").to_pylist()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector("#rows tbody tr")
    assert page.inner_text("#list-count") == f"{len(rows)} matching rows"

    # filter: X-rays with the nodule label
    page.select_option("#f-modality", "xray")
    page.select_option("#f-label", "nodule")
    page.click("#f-apply")
    expected = [row for row in rows if row["modality"] == "xray" and any(r["label"] == "nodule" for r in row["rois"])]
    page.wait_for_function(f"document.querySelector('#list-count').textContent === '{len(expected)} matching rows'")
    listed = page.eval_on_selector_all("#rows tbody tr", "rows => rows.map(row => row.dataset.id)")
    assert listed == [row["id"] for row in expected][:25] and listed

    # open the first row, then click a sentence citing ROI 0 and see that ROI highlighted on the canvas
    target = expected[0]
    page.click(f"#rows tbody tr[data-id='{target['id']}']")
    page.wait_for_function("document.querySelector('#image-canvas').dataset.drawn")
    x, y = _inside_pixel(target["rois"][0])
    before = _pixel(page, x, y)
    assert not _is_highlight_yellow(before)
    sentence = page.locator(".sentence[data-rois='0']").first
    cited = sentence.inner_text()
    assert any(s["sentence"] == cited and any(e.startswith("rois[0]") for e in s["evidence"])
               for s in target["description_evidence"])
    page.mouse.move(0, 0)
    sentence.click()
    assert page.get_attribute("#image-canvas", "data-highlighted-rois") == "0"
    assert "highlighted" in page.get_attribute("#roi-list li[data-roi='0']", "class")
    after = _pixel(page, x, y)
    assert _is_highlight_yellow(after), (before, after)
    outside = _pixel(page, 0, 0)
    assert not _is_highlight_yellow(outside)
    # toggling the ROI off (after un-pinning the sentence) removes its overlay
    sentence.click()
    page.mouse.move(0, 0)
    page.uncheck("#roi-list input[data-roi-toggle='0']")
    plain = _pixel(page, x, y)
    assert plain[0] == plain[1] == plain[2]  # grey image without any overlay colour

    # reject it, reload, and find the decision kept
    page.fill("#reviewer", "ann")
    page.click("#reject")
    page.wait_for_function("document.querySelector('#review-status').dataset.status === 'rejected'")
    page.goto(f"{url}/?id={target['id']}")
    page.wait_for_function("document.querySelector('#review-status').dataset.status === 'rejected'")
    assert "rejected by ann" in page.inner_text("#review-status")
    page.select_option("#f-review", "rejected")
    page.click("#f-apply")
    page.wait_for_function("document.querySelector('#list-count').textContent === '1 matching rows'")
    assert "review-rejected" in page.get_attribute(f"#rows tbody tr[data-id='{target['id']}']", "class")
    decisions = [json.loads(line) for line in (run / REVIEWS_NAME).read_text().splitlines()]
    assert decisions[-1]["id"] == target["id"] and decisions[-1]["action"] == "reject" and decisions[-1]["who"] == "ann"

    # export: the rejected row is gone, the others are there
    export_run(run, "llava", tmp_path / "llava")
    exported = {item["id"] for item in json.loads((tmp_path / "llava" / "llava.json").read_text())}
    assert target["id"] not in exported
    assert expected[1]["id"] in exported if len(expected) > 1 else exported
    assert not errors, errors
    page.close()


def test_edit_in_the_page_replaces_the_exported_description(viewer, browser, tmp_path):
    run, url = viewer
    rows = read_parquet_folder(run / "triplets").to_pylist()
    target = rows[-1]
    page = browser.new_page()
    page.goto(f"{url}/?id={target['id']}")
    page.wait_for_function("document.querySelector('#image-canvas').dataset.drawn")
    page.click("#edit")
    assert page.input_value("#edit-text") == target["description_text"]
    page.fill("#edit-text", "A reviewer's corrected description.")
    page.click("#save-edit")
    page.wait_for_function("document.querySelector('#review-status').textContent.includes('(edited)')")
    page.reload()
    page.wait_for_function("document.querySelector('#review-status').textContent.includes('(edited)')")
    assert page.inner_text("#description p.edited") == "A reviewer's corrected description."
    page.close()
    export_run(run, "llava", tmp_path / "llava")
    items = {item["id"]: item for item in json.loads((tmp_path / "llava" / "llava.json").read_text())}
    assert items[target["id"]]["conversations"][1]["value"] == "A reviewer's corrected description."


def test_view_refuses_a_folder_that_is_not_a_run(tmp_path):
    result = subprocess.run([sys.executable, "-m", "medtrinity", "view", str(tmp_path), "--port", "0"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 2 and "no triplets/part-*.parquet" in result.stderr


def test_server_listens_on_loopback_only(viewer):
    _, url = viewer
    assert url.startswith("http://127.0.0.1:")
    port = int(url.rsplit(":", 1)[1])
    connections = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True)
    if connections.returncode != 0:
        pytest.skip("ss is not available to list listening sockets")
    addresses = [line.split()[3] for line in connections.stdout.splitlines() if line.strip()]
    assert addresses and all(address.startswith("127.0.0.1:") for address in addresses), addresses
