#!/usr/bin/env python3
"""Writes the bad-input corpus of the contract tests into OUTDIR.

    Tests/contract/make_corpus.py OUTDIR

Only the script is committed: the bombs are a few bytes, the rest is cut from
the repo's examples/. Files written:

  bomb_60000.png, bomb_16000.png  PNG decompression bombs: a valid signature,
      an IHDR claiming 60000x60000 (16000x16000) RGB pixels, one IDAT holding
      the zlib stream of a single empty scanline, IEND; every CRC valid. About
      70 bytes; decoding them in full would need 10.8 GB (768 MB) of pixels.
  truncated.jpg   content_chelsea_cat.jpg cut to 40 % (no EOI marker)
  truncated.png   tiny_content_64.png cut to 60 % (IDAT stream and IEND missing)
  one_by_one.png  a valid 1x1 image
  tall_1x20000.png a valid 1x20000 image (aspect 20000:1)
  empty.png       zero bytes
  text.png        a text file named .png
"""
import os
import struct
import sys
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO, "examples")


def chunk(kind: bytes, data: bytes) -> bytes:
    """length, type, data, CRC-32 over type and data (PNG spec, section 5.3)."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int, height: int, rows: bytes) -> bytes:
    """An 8-bit RGB PNG whose IDAT is zlib(rows); rows need not fill the image."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def bomb(side: int) -> bytes:
    # One scanline: filter byte 0 and nothing else; the header claims side x side.
    return png(side, side, b"\x00")


def valid(width: int, height: int) -> bytes:
    row = b"\x00" + bytes((x * 37) % 256 for x in range(3 * width))
    return png(width, height, row * height)


def cut(name: str, fraction: float) -> bytes:
    with open(os.path.join(EXAMPLES, name), "rb") as f:
        data = f.read()
    return data[: int(len(data) * fraction)]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {
        "bomb_60000.png": bomb(60000),
        "bomb_16000.png": bomb(16000),
        "truncated.jpg": cut("content_chelsea_cat.jpg", 0.4),
        "truncated.png": cut("tiny_content_64.png", 0.6),
        "one_by_one.png": valid(1, 1),
        "tall_1x20000.png": valid(1, 20000),
        "empty.png": b"",
        "text.png": b"This is a text file, not a PNG image.\n",
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(f"{name}\t{len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
