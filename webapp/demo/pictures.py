"""Small pictures for the demo's inspection photos, drawn here as PNG with the standard library:
the demo installs without Pillow, and a photo needs only to be a real image that the app stores,
names by its SHA-256 and shows.  Each is a few flat shapes (a wall, a floor, what is on it), not
a photograph; it carries no metadata, as the inspection page's re-drawn photos do not."""

from __future__ import annotations

import struct
import zlib

WIDTH, HEIGHT = 320, 240

# (left, top, right, bottom, colour): drawn in order, the later on top.
Shape = tuple[int, int, int, int, tuple[int, int, int]]

WALL, FLOOR, LINE = (214, 210, 200), (150, 140, 128), (60, 60, 60)
(
    CARTON,
    CARTON_DARK,
    CAR,
    GLASS,
) = (176, 132, 82), (140, 100, 60), (40, 70, 130), (160, 190, 220)

STAIRWELL_WITH_BOXES: list[Shape] = [
    (0, 0, WIDTH, 150, WALL),
    (0, 150, WIDTH, HEIGHT, FLOOR),
    (30, 40, 90, 150, LINE),  # the flat's door
    (34, 44, 86, 150, (120, 90, 70)),
    (120, 95, 200, 150, CARTON),
    (140, 60, 190, 96, CARTON_DARK),
    (210, 110, 290, 160, CARTON),
    (215, 85, 260, 111, CARTON_DARK),
]
FIRE_LANE_WITH_CAR: list[Shape] = [
    (0, 0, WIDTH, 120, (190, 210, 230)),  # the sky
    (0, 120, WIDTH, HEIGHT, (110, 110, 110)),  # the lane
    (0, 228, WIDTH, 234, (200, 40, 40)),  # its red edge
    (70, 130, 250, 190, CAR),
    (100, 105, 220, 132, CAR),
    (110, 110, 155, 130, GLASS),
    (165, 110, 210, 130, GLASS),
    (85, 185, 115, 205, LINE),
    (205, 185, 235, 205, LINE),
]
STAIRWELL_CLEARED: list[Shape] = [
    (0, 0, WIDTH, 150, WALL),
    (0, 150, WIDTH, HEIGHT, FLOOR),
    (30, 40, 90, 150, LINE),
    (34, 44, 86, 150, (120, 90, 70)),
    (130, 60, 250, 100, (250, 250, 245)),
    (140, 72, 240, 88, (200, 40, 40)),
]
# The same lane at the follow-up: the car parked a little further along.
FIRE_LANE_STILL_PARKED: list[Shape] = FIRE_LANE_WITH_CAR[:3] + [
    (left + 40, top, right + 40, bottom, colour) for left, top, right, bottom, colour in FIRE_LANE_WITH_CAR[3:]
]


def png(shapes: list[Shape], width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """An RGB PNG (8 bits a channel, no filter) of ``shapes`` on white."""
    rows = []
    for y in range(height):
        row = [(255, 255, 255)] * width
        for left, top, right, bottom, colour in shapes:
            if top <= y < bottom:
                row[max(0, left) : min(width, right)] = [colour] * (min(width, right) - max(0, left))
        rows.append(b"\x00" + bytes(channel for pixel in row for channel in pixel))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
