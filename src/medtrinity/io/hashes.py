"""Digests and hashes of images and bytes: exact-copy digests, the 64-bit DCT perceptual hash, short text digests."""

from __future__ import annotations

import hashlib

import blake3
import cv2
import numpy as np


def content_digest(pixels: np.ndarray) -> str:
    """Digest of the raw pixel values, shape and type: equal digests are exact copies.

    BLAKE3 (cryptographic, 256-bit like SHA-256) hashes a 512x512 float32 slice in ~0.1 ms where
    SHA-256 takes ~0.5 ms; the digest lives in the shard's duplicate filter only, never in an output.
    """
    digest = blake3.blake3(f"{pixels.shape}{pixels.dtype}".encode())
    digest.update(np.ascontiguousarray(pixels).reshape(-1).view(np.uint8))
    return digest.hexdigest()


def uint8_percentiles(image: np.ndarray, percents: list[float]) -> np.ndarray:
    """``np.percentile(image.astype(np.float32), percents)`` of a uint8 image, to the last bit, from its histogram.

    The linear method reads two order statistics per percentile and interpolates between them; a
    256-bin histogram gives those order statistics without partitioning the pixels (a 512x512 slice:
    ~0.1 ms instead of ~3 ms). The interpolation repeats numpy's own arithmetic (float64, the
    ``t >= 0.5`` branch from the upper end), and a test compares the two on random and real images.
    The counts come from a compiled loop (:mod:`medtrinity.io.histogram_kernels`, ~0.07 ms a slice).
    """
    if image.dtype != np.uint8 or image.size == 0:
        raise ValueError(f"uint8_percentiles needs a non-empty uint8 image, got {image.dtype} of shape {image.shape}")
    return percentiles_from_counts(uint8_counts(image), image.size, percents)


def uint8_counts(image: np.ndarray) -> np.ndarray:
    """How many pixels of a uint8 image hold each value 0..255 (int64), by the compiled loop on images large
    enough to pay for the call."""
    if image.size >= 4096 and image.size < 1 << 32:  # a uint32 sub-count per quarter of the pixels cannot overflow
        from medtrinity.io.histogram_kernels import uint8_histogram

        return uint8_histogram(np.ascontiguousarray(image).reshape(-1))
    return np.bincount(image.ravel(), minlength=256)


def pixel_counts(pixels: np.ndarray) -> np.ndarray | None:
    """How many pixels hold each value of an 8- or 16-bit image (256 or 65,536 int64 counts), None for other
    types or an empty image. Preprocessing counts each image once with it (the flat-image tests and the
    percentile table), the hash of a 16-bit image and ``present_values`` use the same counts."""
    if not pixels.size:
        return None
    if pixels.dtype == np.uint8:
        return uint8_counts(pixels)
    if pixels.dtype == np.uint16:
        if 4096 <= pixels.size < 1 << 32:  # a uint32 sub-count per quarter of the pixels cannot overflow
            from medtrinity.io.histogram_kernels import uint16_histogram

            return uint16_histogram(np.ascontiguousarray(pixels).reshape(-1))
        return np.bincount(pixels.ravel(), minlength=1 << 16)
    return None


def percentiles_from_counts(counts: np.ndarray, size: int, percents: list[float]) -> np.ndarray:
    """``np.percentile`` (linear method) of ``size`` integer values given as counts per value, to the last bit.

    Order statistic k (0-based) is the first value whose cumulative count exceeds k; the interpolation
    repeats numpy's own arithmetic (float64, the ``t >= 0.5`` branch from the upper end).
    """
    ends = np.cumsum(counts)
    last = size - 1
    virtual = (size - 1) * np.true_divide(np.asarray(percents, dtype=np.float64), 100)
    below = np.floor(virtual).astype(np.intp)
    above = np.minimum(below + 1, last)
    below = np.minimum(below, last)
    low = np.searchsorted(ends, below, side="right").astype(np.float64)
    high = np.searchsorted(ends, above, side="right").astype(np.float64)
    gamma = virtual - below
    step = high - low
    return np.where(gamma >= 0.5, high - step * (1 - gamma), low + step * gamma)


def _unit_scaled(pixels: np.ndarray) -> np.ndarray:
    """The image mapped to 0..1 between its 1st and 99th percentiles, float32 (the hash's input)."""
    if pixels.ndim == 2 and pixels.dtype == np.uint8:  # display images: a 256-entry table, same values
        low, high = uint8_percentiles(pixels, [1, 99])
        table = np.clip((np.arange(256, dtype=np.float32) - low) / max(float(high - low), 1e-6), 0, 1)
        return cv2.LUT(np.ascontiguousarray(pixels), table.astype(np.float32))
    if pixels.ndim == 3 and pixels.dtype == np.uint8 and pixels.shape[2] == 3 and pixels.size:
        return _rgb_unit_scaled(pixels)
    if pixels.ndim == 2 and pixels.dtype == np.uint16 and pixels.size:
        return _uint16_unit_scaled(pixels)
    values = pixels.astype(np.float32)
    if values.ndim == 3:
        values = values.mean(axis=2)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(0, dtype=np.float32)
    low, high = np.percentile(finite, [1, 99])
    scaled = np.clip((np.nan_to_num(values, nan=float(low)) - low) / max(float(high - low), 1e-6), 0, 1)
    return scaled.astype(np.float32)


def _uint16_unit_scaled(pixels: np.ndarray) -> np.ndarray:
    """:func:`_unit_scaled` of a 16-bit grey image (a raw radiograph, hashed for near-duplicates) to the bit: the
    percentiles from its histogram (the same order statistics and arithmetic as ``np.percentile`` over the
    float32 values), the plain scaling once per possible value (2500x2048: ~80 -> ~10 ms for the hash)."""
    low, high = percentiles_from_counts(pixel_counts(pixels), pixels.size, [1, 99])
    values = np.arange(1 << 16, dtype=np.float32)
    table = np.clip((values - low) / max(float(high - low), 1e-6), 0, 1).astype(np.float32)
    return table[pixels]


def _grey_of_channel_sums() -> np.ndarray:
    """float32 grey value of each channel sum 0..765 as ``pixels.astype(np.float32).mean(axis=2)`` computes it
    (computed by that very call on pixels with those sums: a float32 sum of three integers is exact)."""
    sums = np.arange(766)
    triples = np.stack([np.minimum(sums, 255), np.clip(sums - 255, 0, 255), np.clip(sums - 510, 0, 255)], axis=1)
    return triples.astype(np.uint8)[:, None, :].astype(np.float32).mean(axis=2)[:, 0]


def _rgb_unit_scaled(pixels: np.ndarray) -> np.ndarray:
    """:func:`_unit_scaled` of an RGB uint8 image to the bit, ~3x faster: each pixel's grey value depends on its
    channel sum only (766 possible), so one compiled pass gives the sums and their counts; the percentiles come
    from ``np.percentile`` over the same values in sorted order (the same order statistics), and the scaling is
    the plain expression applied once per possible sum."""
    from medtrinity.io.channel_kernels import channel_sums  # compiled on first use

    sums, counts = channel_sums(np.ascontiguousarray(pixels))
    grey = _grey_of_channel_sums()
    low, high = np.percentile(np.repeat(grey, counts), [1, 99])
    table = np.clip((grey - low) / max(float(high - low), 1e-6), 0, 1).astype(np.float32)
    return table[sums]


def perceptual_hash(pixels: np.ndarray) -> int:
    """64-bit pHash: 32x32 grey thumbnail, 2D DCT, the 8x8 lowest frequencies against their median."""
    scaled = _unit_scaled(pixels)
    if scaled.size == 0:
        return 0
    thumbnail = cv2.resize(scaled, (32, 32), interpolation=cv2.INTER_AREA)
    block = cv2.dct(thumbnail)[:8, :8].ravel()
    bits = block[1:] > np.median(block[1:])  # the DC term only says how bright the image is
    # the 63 bits, first one most significant, read as one integer (a leading 0 bit fills 8 bytes)
    return int.from_bytes(np.packbits(np.concatenate(([False], bits))).tobytes(), "big")


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
