"""Masks -> ROIs and the measurements a description may state."""
