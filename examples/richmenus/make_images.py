"""Writes the example rich menus' images: flat PNGs of the menus' sizes, one colour per
area, small enough to commit (a real brand puts its designer's images here instead).

    python examples/richmenus/make_images.py
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

HERE = Path(__file__).parent


def png(width: int, height: int, columns: list[tuple[int, int, int]]) -> bytes:
    """Equal vertical bands of `columns` colours (RGB, 8 bits)."""
    band = width // len(columns)
    row = b"".join(bytes(columns[min(x // band, len(columns) - 1)]) for x in range(width))
    raw = b"".join(b"\x00" + row for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


MENUS = {
    "vip-menu.png": (2500, 843, [(184, 134, 11), (139, 101, 8), (90, 70, 20)]),
    "default-menu.png": (2500, 843, [(6, 199, 85), (0, 150, 64), (0, 110, 50)]),
}

if __name__ == "__main__":
    for name, (width, height, colours) in MENUS.items():
        (HERE / name).write_bytes(png(width, height, colours))
        print(f"{name}: {width}×{height}")
