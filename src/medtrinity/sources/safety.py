"""Defences every reader shares: caps checked from headers, paths kept inside the source, safe globbing,
dtype and label checks, and planning failures turned into rejects instead of a failed run.

A reader that meets a bad file raises :class:`SampleError` with a reason naming the file, the
problem and what to do; planning records a bad file as a *reject item* (see :func:`reject_item`)
that the shard runner turns into a reject, so one file never sinks a run.
"""

from __future__ import annotations

import fnmatch
import json
import os
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from medtrinity.config import LimitsConfig
from medtrinity.records import SampleError

REJECT_PREFIX = "!reject "


# ---------------------------------------------------------------- planning failures as items


def reject_item(path: str, code: str, message: str) -> str:
    """An item that stands for a file planning could not use; reading it raises the reject."""
    return REJECT_PREFIX + json.dumps({"path": str(path), "code": code, "message": message}, sort_keys=True)


def is_reject_item(item: str) -> bool:
    return item.startswith(REJECT_PREFIX)


def raise_reject_item(item: str) -> None:
    """Raise the SampleError a reject item stands for."""
    entry = json.loads(item[len(REJECT_PREFIX):])
    raise SampleError(entry["code"], entry["message"])


def reject_item_path(item: str) -> str:
    return json.loads(item[len(REJECT_PREFIX):])["path"] if is_reject_item(item) else item


def planning_failure(path: str, error: Exception, what_to_do: str = "") -> str:
    """A reject item for a file whose listing failed: a SampleError keeps its code, any other error is unreadable."""
    if isinstance(error, SampleError):
        return reject_item(path, error.code, error.message)
    message = f"{path}: cannot be opened ({type(error).__name__}: {error})"
    return reject_item(path, "unreadable_file", f"{message}; {what_to_do or 'check or replace the file'}")


def items_per_file(paths: list[str], list_one: Callable[[str], list[str]], what_to_do: str = "") -> list[str]:
    """Each path's items, or one reject item for a path whose listing fails: good files stay unaffected."""
    items: list[str] = []
    for path in paths:
        try:
            items += list_one(path)
        except ImportError:  # a missing optional package is the installation's fault, not the file's
            raise
        except MemoryError as error:
            items.append(reject_item(path, "too_large", f"{path}: listing it ran out of memory ({error})"))
        except Exception as error:  # any library's failure on one file is that file's reject
            items.append(planning_failure(path, error, what_to_do))
    return items


# ---------------------------------------------------------------- size caps from headers


def too_large(where: str, declared: str, cap_name: str, cap: int) -> SampleError:
    """The reject for an input whose header declares more than a cap allows."""
    return SampleError("too_large", f"{where}: declares {declared}, over limits.{cap_name} = {cap:,}; "
                                    f"raise limits.{cap_name} in the config if the input is genuine")


def check_pixels(where: str, shape: tuple[int, ...], itemsize: int, limits: LimitsConfig, *,
                 volume: bool = False) -> None:
    """Refuse a declared image (H, W[, C]) or volume (Z, Y, X) over the pixel, voxel or byte caps."""
    dims = [int(d) for d in shape]
    if any(d < 0 for d in dims):
        raise SampleError("bad_header", f"{where}: negative dimension in {tuple(dims)}")
    spatial = int(np.prod(dims[:3] if volume else dims[:2], dtype=np.float64))
    declared = " x ".join(str(d) for d in dims)
    if volume and spatial > limits.max_voxels_per_volume:
        raise too_large(where, f"a {declared} volume ({spatial:,} voxels)", "max_voxels_per_volume",
                        limits.max_voxels_per_volume)
    if not volume and spatial > limits.max_pixels_per_image:
        raise too_large(where, f"a {declared} image ({spatial:,} pixels)", "max_pixels_per_image",
                        limits.max_pixels_per_image)
    size_bytes = int(np.prod(dims, dtype=np.float64)) * max(1, int(itemsize))
    if size_bytes > limits.max_array_bytes:
        raise too_large(where, f"{size_bytes:,} bytes of {declared} data", "max_array_bytes", limits.max_array_bytes)


def _png_header(head: bytes) -> tuple[tuple[int, ...], int] | None:
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 4)
    return (height, width, channels), max(1, depth // 8)


def _bmp_header(head: bytes) -> tuple[tuple[int, ...], int] | None:
    if head[:2] != b"BM" or len(head) < 26:
        return None
    width, height = struct.unpack("<ii", head[18:26])
    return (abs(height), abs(width), 3), 1


def _file_head(path: str) -> bytes:
    """The first 32 bytes of a file (its format's magic number and, for PNG and BMP, the size)."""
    with open(path, "rb") as handle:
        return handle.read(32)


def image_header_shape(path: str, head: bytes | None = None) -> tuple[tuple[int, ...], int] | None:
    """Declared (H, W, C) and bytes per sample of a PNG, BMP, JPEG or TIFF, read without decoding pixels
    (``head``: the file's first 32 bytes, when the caller has read them)."""
    head = _file_head(path) if head is None else head
    for parse in (_png_header, _bmp_header):
        found = parse(head)
        if found is not None:
            return found
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        import tifffile

        with tifffile.TiffFile(path) as tiff:
            page = tiff.pages[0]
            return (int(page.imagelength), int(page.imagewidth), int(page.samplesperpixel)), page.dtype.itemsize
    if head[:2] == b"\xff\xd8":
        from PIL import Image

        with Image.open(path) as image:  # header only; raises DecompressionBombError above ~179 Mpx
            return (image.height, image.width, len(image.getbands())), 1
    return None


def check_image_file(path: str, limits: LimitsConfig) -> None:
    """Refuse an image file whose header declares more than the caps, and a JPEG whose data is truncated."""
    try:
        head = _file_head(path)
        found = image_header_shape(path, head)
    except OSError as error:
        if type(error).__name__ == "DecompressionBombError":
            raise SampleError("too_large", f"{path}: {error}; raise limits.max_pixels_per_image "
                                           "if the input is genuine") from error
        return  # the decoder reports the problem in its own words
    except Exception:  # noqa: BLE001 - unparseable headers are left to the decoder's error
        return
    if found is not None:
        shape, itemsize = found
        check_pixels(path, shape, itemsize, limits)
        if Path(path).suffix.lower() in (".jpg", ".jpeg") or head[:2] == b"\xff\xd8":
            check_jpeg_complete(path)


def check_jpeg_complete(path: str) -> None:
    """Decode the JPEG strictly (Pillow without LOAD_TRUNCATED_IMAGES): missing data is a reject, not grey rows."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.load()
    except OSError as error:
        raise SampleError("truncated_image", f"{path}: the JPEG data is incomplete ({error}); the decoder would "
                                             "fill the missing rows; re-export or re-download the file") from error


# ---------------------------------------------------------------- paths


def resolve_inside(root: str | Path, name: str, where: str) -> Path:
    """``root / name`` after following links, or a ``path_escape`` reject when it lands outside ``root``."""
    root_path = Path(root).resolve()
    candidate = (root_path / name).resolve()
    if not candidate.is_relative_to(root_path):
        raise SampleError("path_escape", f"{where}: file name {name!r} resolves to {candidate}, outside the folder "
                                         f"{root_path}; annotation file names must stay inside the dataset")
    return candidate


def pattern_root(pattern: str) -> Path:
    """The folder a file, folder or glob pattern starts from (the part before the first wildcard)."""
    path = Path(pattern)
    parts = path.parts
    fixed = []
    for part in parts:
        if any(char in part for char in "*?["):
            break
        fixed.append(part)
    base = Path(*fixed) if fixed else Path(".")
    if len(fixed) == len(parts) and path.is_file():
        return path.parent
    return base


def relative_key(root: str | Path, path: str | Path) -> str:
    """``path`` relative to ``root`` in POSIX form (the path itself where it lies elsewhere): ids from full paths."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _match_parts(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_parts(rest, parts[start:]) for start in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], head) and _match_parts(rest, parts[1:])


def walk_files(root: Path) -> Iterator[Path]:
    """Every file under ``root``, never entering a linked folder (so no cycle), each real file once."""
    seen: set[str] = set()
    for folder, folders, files in os.walk(root, followlinks=False):
        folders.sort()
        for name in sorted(files):
            path = Path(folder) / name
            real = os.path.realpath(path)
            if real in seen or not os.path.isfile(real):
                continue
            seen.add(real)
            yield path


def safe_glob(pattern: str) -> list[str]:
    """Files matching a glob (``**`` = any depth) without following folder links; each real file once, sorted."""
    root = pattern_root(pattern)
    wanted = Path(pattern).parts[len(root.parts):]
    if not root.is_dir():
        return []
    found = []
    for path in walk_files(root):
        if _match_parts(list(wanted), list(path.relative_to(root).parts)):
            found.append(str(path))
    return sorted(found)


def unique_files(paths: list[str]) -> list[str]:
    """Drop paths that are links to a file already listed."""
    seen: set[str] = set()
    kept = []
    for path in paths:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            kept.append(path)
    return kept


def reject_shared_keys(paths: list[str], key: Callable[[str], str], table: str, what_to_do: str,
                       has_row: Callable[[str], bool] = lambda path: True) -> list[str]:
    """``paths`` with every file whose table key another listed file shares (and that has a row, ``has_row``)
    replaced by an ``ambiguous_row`` reject item naming the other file: a table keyed by file name cannot say
    which of ``site_a/x.png`` and ``site_b/x.png`` a row describes. Decided once, at planning."""
    by_key: dict[str, list[str]] = {}
    for path in paths:
        if not is_reject_item(path):
            by_key.setdefault(key(path), []).append(path)
    listed = []
    for path in paths:
        twins = [] if is_reject_item(path) else [other for other in by_key[key(path)] if other != path]
        if twins and has_row(path):
            listed.append(reject_item(path, "ambiguous_row", f"{path}: the row {key(path)!r} of {table} also "
                                      f"matches {len(twins)} other file(s), e.g. {twins[0]}; {what_to_do}"))
        else:
            listed.append(path)
    return listed


# ---------------------------------------------------------------- data types and labels


def check_dtype(array: np.ndarray, where: str) -> None:
    """Refuse data that cannot be pixels: complex (the imaginary part would be lost), strings, objects."""
    kind = np.asarray(array).dtype.kind if not hasattr(array, "dtype") else array.dtype.kind
    if kind == "c":
        raise SampleError("complex_data", f"{where}: complex-valued data ({array.dtype}); store magnitude or phase "
                                          "as a real image first")
    if kind not in "biuf":
        raise SampleError("unsupported_dtype", f"{where}: data of type {array.dtype} is not numeric pixels")


def present_label_values(labels: np.ndarray) -> list[int]:
    """The distinct values of an integer label array: one counting pass (np.unique sorts the whole volume)."""
    flat = np.asarray(labels).ravel()
    if flat.size == 0:
        return []
    if flat.dtype.kind in "iub" and int(flat.min()) >= 0:
        return np.flatnonzero(np.bincount(flat)).tolist()
    return np.unique(flat).tolist()


def check_label_values(values: list[int] | np.ndarray, names: dict[int, str], where: str, *, origin: str,
                       background: int | None = 0) -> None:
    """Refuse label values the label map does not name (and negative ones) when a label map is given.

    ``values``: the values found, or the label array itself. ``background`` (0 for masks, None for class
    indices) needs no name.
    """
    if isinstance(values, np.ndarray):
        values = present_label_values(values)
    negative = sorted(int(v) for v in values if v < 0)
    if negative:
        raise SampleError("bad_label", f"{where}: negative label value(s) {negative}; label values must be >= 0")
    if not names:
        return
    unknown = sorted(set(int(v) for v in values) - set(names) - {background})
    if unknown:
        raise SampleError("unknown_label", f"{where}: label value(s) {unknown} are not in the label map "
                                           f"({origin}: {sorted(names)}); add them to label_names or fix the mask")


def check_one_class(mask: np.ndarray, where: str) -> None:
    """Refuse a per-class mask file holding several foreground values: it is a label map whose values no
    name covers, and reading it as one class would merge them (0 and one foreground value are expected)."""
    values = present_label_values(mask)
    negative = [int(v) for v in values if v < 0]
    if negative:
        raise SampleError("bad_label", f"{where}: negative mask value(s) {negative}; mask values must be >= 0")
    foreground = [int(v) for v in values if v != 0]
    if len(foreground) > 1:
        raise SampleError("unknown_label", f"{where}: a per-class mask holds {len(foreground)} label values "
                          f"{foreground[:10]}; each mask file must be 0 plus one foreground value (use the "
                          "image_masks reader with label_names for a mask of several labels)")
