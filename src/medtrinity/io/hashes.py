"""Digests and hashes of images and bytes: exact-copy digests, the 64-bit DCT perceptual hash, short text digests."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np


def content_digest(pixels: np.ndarray) -> str:
    """Digest of the raw pixel values, shape and type: equal digests are exact copies."""
    digest = hashlib.sha256(f"{pixels.shape}{pixels.dtype}".encode())
    digest.update(np.ascontiguousarray(pixels).tobytes())
    return digest.hexdigest()


def perceptual_hash(pixels: np.ndarray) -> int:
    """64-bit pHash: 32x32 grey thumbnail, 2D DCT, the 8x8 lowest frequencies against their median."""
    values = pixels.astype(np.float32)
    if values.ndim == 3:
        values = values.mean(axis=2)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0
    low, high = np.percentile(finite, [1, 99])
    scaled = np.clip((np.nan_to_num(values, nan=float(low)) - low) / max(float(high - low), 1e-6), 0, 1)
    thumbnail = cv2.resize(scaled.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    block = cv2.dct(thumbnail)[:8, :8].ravel()
    bits = block[1:] > np.median(block[1:])  # the DC term only says how bright the image is
    return int("".join("1" if bit else "0" for bit in bits), 2)


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two hashes."""
    return (a ^ b).bit_count()


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of bytes (image checksums in rows and the manifest)."""
    return hashlib.sha256(data).hexdigest()


def text_digest(lines: list[str] | tuple[str, ...], length: int = 16) -> str:
    """Short sha256 of lines joined by newlines (a shard's item list, without keeping the names)."""
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:length]


def file_sha256(path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks (the manifest's checksums)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
