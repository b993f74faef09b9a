"""Shared vocabularies (leaf package: imports nothing from the pipeline)."""
