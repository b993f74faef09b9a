"""Array containers read from their headers first: .npz members and HDF5 datasets are sized before decoding.

``np.load(...)[key]`` decompresses a whole member; a 1 MB .npz of zeros can declare gigabytes. Here
shapes come from the .npy header inside the zip, and an entry of an array too big to hold is
streamed out of the compressed member alone.
"""

from __future__ import annotations

import zipfile

import numpy as np

from medtrinity.config import LimitsConfig
from medtrinity.records import SampleError
from medtrinity.sources.safety import check_dtype, check_pixels


def npz_keys(path: str) -> list[str]:
    """Array names of an .npz archive (member names without ``.npy``)."""
    with zipfile.ZipFile(path) as archive:
        return [name[: -len(".npy")] for name in archive.namelist() if name.endswith(".npy")]


def _read_header(member) -> tuple[tuple[int, ...], np.dtype, bool]:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
    return tuple(int(d) for d in shape), np.dtype(dtype), bool(fortran)


def npz_header(path: str, key: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of one array of an .npz, read from its header without decompressing the data."""
    with zipfile.ZipFile(path) as archive, archive.open(f"{key}.npy") as member:
        shape, dtype, _ = _read_header(member)
    if dtype.hasobject:
        raise SampleError("unsupported_dtype", f"{path}: {key} holds Python objects, which are never unpickled")
    return shape, dtype


def npz_read_entry(path: str, key: str, index: int) -> np.ndarray:
    """Entry ``index`` of a C-ordered array in an .npz, decompressing only up to it (bounded memory)."""
    with zipfile.ZipFile(path) as archive, archive.open(f"{key}.npy") as member:
        shape, dtype, fortran = _read_header(member)
        if fortran:
            raise SampleError("unsupported_layout", f"{path}: {key} is Fortran-ordered and too big to load whole")
        if not 0 <= index < shape[0]:
            raise SampleError("missing_entry", f"{path}: {key} has {shape[0]} entries, not {index + 1}")
        entry_bytes = int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize
        member.seek(member.tell() + index * entry_bytes)
        data = member.read(entry_bytes)
    if len(data) != entry_bytes:
        raise SampleError("truncated_data", f"{path}: {key} entry {index} is cut short ({len(data)} of "
                                            f"{entry_bytes} bytes)")
    return np.frombuffer(data, dtype=dtype).reshape(shape[1:])


def squeezed_entry(shape: tuple[int, ...]) -> tuple[int, ...]:
    """An entry's (H, W[, C]) shape with size-1 axes dropped and a leading channel axis moved last."""
    dims = tuple(int(d) for d in shape if int(d) != 1) or (1, 1)
    if len(dims) == 3 and dims[0] == 3 and dims[2] != 3:
        dims = (dims[1], dims[2], 3)
    return dims if len(dims) >= 2 else (dims[0], 1)


def check_entry(dataset, where: str, limits: LimitsConfig) -> None:
    """Refuse an HDF5 dataset's entries by dtype and declared size before any is read."""
    check_dtype(np.empty(0, dtype=dataset.dtype), where)
    check_pixels(where, squeezed_entry(tuple(dataset.shape[1:])), dataset.dtype.itemsize, limits)


def check_finite(pixels: np.ndarray, where: str) -> None:
    """Refuse float pixels with NaN or infinity: windowing and statistics would be meaningless."""
    if pixels.dtype.kind == "f" and not np.all(np.isfinite(pixels)):
        count = int(np.size(pixels) - np.count_nonzero(np.isfinite(pixels)))
        raise SampleError("non_finite_pixels", f"{where}: {count} of {pixels.size} pixels are NaN or infinite")


def npy_header(path: str) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of a ``.npy`` file from its header; object arrays and files shorter than their header
    declares (a cut-off download) are refused before anything is mapped or read."""
    import os

    try:
        with open(path, "rb") as handle:
            shape, dtype, _ = _read_header(handle)
            data_offset = handle.tell()
    except (OSError, ValueError, SyntaxError) as error:
        raise SampleError("unreadable_file", f"{path}: not a readable .npy file ({type(error).__name__}: "
                                             f"{error}); check that it was written by numpy.save") from error
    if dtype.hasobject:
        raise SampleError("unsupported_dtype", f"{path}: holds Python objects, which are never unpickled")
    declared = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    actual = os.path.getsize(path) - data_offset
    if actual < declared:
        raise SampleError("truncated_data", f"{path}: the header declares {declared:,} bytes of {shape} "
                                            f"{dtype} data, the file holds {actual:,}; re-download or re-save it")
    return shape, dtype
