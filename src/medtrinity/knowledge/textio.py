"""Reading user files safely: bytes to text with a known encoding, XML to an element tree.

A file that cannot be decoded or parsed raises :class:`UnreadableFile` with the skip reason, so
importers can count it and go on with the next file.
"""

from __future__ import annotations

import codecs
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path


class UnreadableFile(Exception):
    """A file the importer cannot read; ``reason`` is one of the report's skip reasons."""

    def __init__(self, reason: str, path: Path, detail: str):
        super().__init__(f"{path}: {reason}: {detail}")
        self.reason = reason
        self.path = path
        self.detail = detail


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, path: Path) -> str:
    """Text of a UTF-8 file (a UTF-8 or UTF-16 byte-order mark is honoured).

    Anything else is refused rather than guessed: a wrong guess silently corrupts every
    non-ASCII character of a medical term.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise UnreadableFile("unknown_encoding", path, f"bad {encoding} text: {error}") from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            "unknown_encoding",
            path,
            f"not UTF-8 (byte {data[error.start]:#04x} at offset {error.start}); re-encode it, "
            "e.g. `iconv -f latin1 -t utf-8`",
        ) from error


def read_text(path: Path) -> str:
    """Decoded text of ``path`` (see :func:`decode_text`)."""
    return decode_text(path.read_bytes(), path)


def parse_xml(path: Path) -> ET.Element:
    """Root element of an XML file; its declared encoding is used, UTF-8 when none is declared."""
    data = path.read_bytes()
    try:
        return ET.fromstring(data)
    except ET.ParseError as error:
        if "encoding" in str(error) or "not well-formed (invalid token)" in str(error):
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                raise UnreadableFile(
                    "unknown_encoding", path, "not UTF-8 and no XML encoding declaration"
                ) from error
        raise UnreadableFile("malformed_xml", path, str(error)) from error


def local_name(tag: str) -> str:
    """Tag without its ``{namespace}`` prefix."""
    return tag.rsplit("}", 1)[-1]


def element_text(element: ET.Element | None) -> str:
    """All text inside an element (children included), whitespace collapsed."""
    if element is None:
        return ""
    return " ".join(" ".join(element.itertext()).split())


_TAG = re.compile(r"<[^>]+>")


def strip_html(text: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())
