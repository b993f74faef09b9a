"""Image planes: the codes a Sample carries and how a caption names them."""

from __future__ import annotations

PLANES: tuple[str, ...] = ("axial", "coronal", "sagittal", "projection", "unknown")
SLICE_PLANES: tuple[str, ...] = ("axial", "coronal", "sagittal")


def plane_phrase(plane: str) -> str:
    """'axial ' / 'coronal ' / '' for an unknown plane, ready to put before the modality name."""
    return f"{plane} " if plane in SLICE_PLANES else ""
