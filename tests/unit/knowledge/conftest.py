"""Shared fixtures: real corpora location, a small knowledge base, dense availability."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def shared_knowledge() -> Path:
    """``$MEDTRINITY_DATA/knowledge`` (default ``<repo>/../shared/data``), or skip when absent."""
    root = Path(os.environ.get("MEDTRINITY_DATA", REPO.parent / "shared" / "data"))
    folder = root / "knowledge"
    if not folder.is_dir():
        pytest.skip(f"real corpora not found at {folder}; set MEDTRINITY_DATA")
    return folder


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test builds the built-in index into one session-wide temporary cache, never ~/.cache."""
    monkeypatch.setenv("MEDTRINITY_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def jsonl_corpus(tmp_path: Path) -> Path:
    """A tiny JSONL corpus in ``tmp_path/corpus`` whose passages each answer one distinct query."""
    folder = tmp_path / "corpus"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        '{"id": "t:lung", "title": "Pneumothorax", "text": "Air in the pleural space collapses the lung; '
        'a visceral pleural line is seen without lung markings beyond it.", "license": "CC0"}',
        '{"id": "t:liver", "title": "Liver cyst", "text": "A simple hepatic cyst is anechoic with posterior '
        'acoustic enhancement on ultrasound.", "license": "CC0"}',
        '{"id": "t:skin", "title": "Melanoma", "text": "Dermoscopy of melanoma shows an atypical pigment '
        'network and a blue-white veil.", "license": "CC0"}',
        '{"id": "t:eye", "title": "Glaucoma", "text": "Glaucoma enlarges the optic cup and thins the '
        'neuroretinal rim of the optic disc.", "license": "CC0"}',
    ]
    path = folder / "notes.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
