"""Reads files out of a Qt resource bundle (`.rcc`, format 1–3) — how GCompris packs its
images — without Qt: `unrcc.py BUNDLE PATH OUT` writes the file at PATH inside BUNDLE to OUT.

The bundle is a header (`qres`, version, offsets of the tree, the data and the names), a tree
of fixed-size entries (directories list their children; files point into the data, stored
plain or zlib-compressed behind a 4-byte length) and UTF-16 names."""
import struct
import sys
import zlib


def read(bundle: bytes, wanted: str) -> bytes:
    if bundle[:4] != b"qres":
        raise ValueError("not a Qt resource bundle")
    version, tree, data, names = struct.unpack(">IIII", bundle[4:20])
    entry_size = 14 if version == 1 else 22

    def name(offset: int) -> str:
        (length,) = struct.unpack(">H", bundle[names + offset : names + offset + 2])
        start = names + offset + 6
        return bundle[start : start + 2 * length].decode("utf-16-be")

    def find(index: int, parts: list) -> bytes:
        at = tree + index * entry_size
        _, flags = struct.unpack(">IH", bundle[at : at + 6])
        if not parts:
            if flags & 2:
                raise ValueError(f"{wanted} is a directory")
            (offset,) = struct.unpack(">I", bundle[at + 10 : at + 14])
            (size,) = struct.unpack(">I", bundle[data + offset : data + offset + 4])
            raw = bundle[data + offset + 4 : data + offset + 4 + size]
            if flags & 4:
                raise ValueError(f"{wanted} is zstd-compressed, which this reader does not do")
            return zlib.decompress(raw[4:]) if flags & 1 else raw
        if not flags & 2:
            raise FileNotFoundError(wanted)
        count, first = struct.unpack(">II", bundle[at + 6 : at + 14])
        for child in range(first, first + count):
            (name_offset,) = struct.unpack(">I", bundle[tree + child * entry_size : tree + child * entry_size + 4])
            if name(name_offset) == parts[0]:
                return find(child, parts[1:])
        raise FileNotFoundError(wanted)

    return find(0, [p for p in wanted.split("/") if p])


if __name__ == "__main__":
    bundle_path, wanted, out = sys.argv[1:4]
    with open(bundle_path, "rb") as f:
        content = read(f.read(), wanted)
    with open(out, "wb") as f:
        f.write(content)
