"""The per-request timeout of object-store reads (``MEDTRINITY_REMOTE_TIMEOUT_S``): parsed, or refused by name."""

from __future__ import annotations

import pytest

from medtrinity.io.remote_read import DEFAULT_TIMEOUT_S, TIMEOUT_ENV, remote_timeout_s


def test_the_timeout_defaults_and_reads_the_environment(monkeypatch):
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert remote_timeout_s() == DEFAULT_TIMEOUT_S == 30.0
    monkeypatch.setenv(TIMEOUT_ENV, "2.5")
    assert remote_timeout_s() == 2.5


@pytest.mark.parametrize("value", ["soon", "0", "-3"])
def test_a_timeout_that_is_not_a_positive_number_is_refused_with_its_value(monkeypatch, value):
    monkeypatch.setenv(TIMEOUT_ENV, value)
    with pytest.raises(ValueError, match=f"{TIMEOUT_ENV}='{value}'"):
        remote_timeout_s()
