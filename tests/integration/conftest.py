"""Fixtures of the integration tests: the object-store test servers (``remote_store``), for every module."""

from .remote_store import gcs_endpoint, s3_endpoint, store  # noqa: F401 - fixtures found by pytest here
