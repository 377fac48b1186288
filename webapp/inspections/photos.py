"""Inspection photos carry no camera metadata: a phone's photo holds EXIF (the time, the camera, and
often the place, to a few metres) that a firm or anyone the photo reaches need not learn.

The inspection page re-draws each chosen photo on a canvas and keeps that JPEG, which has none;
the server refuses a photo that still has some rather than change its bytes (which the inspector
signed, by SHA-256).  Read by structure, not by a search for the letters "Exif": JPEG segments
before the image data, PNG chunks before IEND."""

from __future__ import annotations

import struct

# JPEG application segments that carry metadata: APP1 (Exif, XMP), APP13 (Photoshop IPTC).
_JPEG_METADATA = {0xE1: "APP1 (EXIF/XMP)", 0xED: "APP13 (IPTC)"}
# PNG chunks that carry metadata.
_PNG_METADATA = {b"eXIf": "eXIf", b"iTXt": "iTXt", b"tEXt": "tEXt", b"zTXt": "zTXt"}


def _jpeg(data: bytes) -> str | None:
    at = 2  # after SOI
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return "the JPEG's segments cannot be read"
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xDA or marker == 0xD9:  # start of scan, end of image: no more headers
            return None
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _JPEG_METADATA:
            return _JPEG_METADATA[marker]
        at += 2 + length
    return "the JPEG ends before its image data"


def _png(data: bytes) -> str | None:
    at = 8
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind in _PNG_METADATA:
            return _PNG_METADATA[kind]
        if kind == b"IEND":
            return None
        at += 12 + length
    return "the PNG ends before IEND"


def metadata_problem(data: bytes, content_type: str) -> str | None:
    """None when the image carries no metadata; else what it carries (or why it cannot be read)."""
    if content_type == "image/jpeg":
        return _jpeg(data)
    if content_type == "image/png":
        return _png(data)
    return f"{content_type} is not a photo type"
