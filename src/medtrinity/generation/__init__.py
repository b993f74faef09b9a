"""Coarse captions and description backends."""
