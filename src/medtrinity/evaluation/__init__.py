"""Evaluation on written runs: VQA questions from measured facts, benchmark loaders, the scorer, the leakage audit.

Everything here reads written shards or evaluation files; nothing re-runs the pipeline.
"""
