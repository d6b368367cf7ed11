#!/usr/bin/env python3
"""Writes the hostile-upload corpus: files a photo upload must survive.

usage: hostile-corpus.py OUTDIR

Writes OUTDIR/<name> for every case and OUTDIR/expect.json, a list of
{"file": name, "expect": "accept" | "reject" | "either", "why": ...}: "accept" must be
stored (201), "reject" must get a 4xx JSON error, and "either" may be either (a decoder may
or may not make sense of it) — never a 5xx, a dropped connection or a crash. The server's
memory while the whole corpus is uploaded at once is measured by the test that uses it
(server/tests/suite/hostile.rs). Needs Pillow (scripts/requirements-test.txt).
"""
import io
import json
import os
import random
import struct
import sys
import zlib

from PIL import Image

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
CASES = []
rng = random.Random(20261126)


def case(name, data, expect, why):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    CASES.append({"file": name, "expect": expect, "why": why})


def photo(w=640, h=480, mode="RGB"):
    img = Image.new("RGB", (w, h))
    px = img.load()
    for y in range(0, h, 4):
        for x in range(0, w, 4):
            c = ((x * 255) // w, (y * 255) // h, 128)
            for dy in range(min(4, h - y)):
                for dx in range(min(4, w - x)):
                    px[x + dx, y + dy] = c
    return img.convert(mode)


def encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_raw(w, h, bit_depth, colour_type, rows, extra=b"", crc_ok=True):
    """A PNG written by hand: any size claim, depth and colour type."""
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, colour_type, 0, 0, 0)
    head = chunk(b"IHDR", ihdr)
    if not crc_ok:
        head = head[:-4] + b"\0\0\0\0"
    return b"\x89PNG\r\n\x1a\n" + head + extra + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def zero_rows(w, h, bytes_per_pixel):
    return (b"\0" + b"\0" * (w * bytes_per_pixel)) * h


def jpeg_with_size(data, w, h):
    """Patches a JPEG's first SOF marker to claim w×h."""
    b = bytearray(data)
    i = 2
    while i < len(b):
        marker = b[i + 1]
        length = struct.unpack(">H", b[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            b[i + 5:i + 9] = struct.pack(">HH", h, w)
            return bytes(b)
        i += 2 + length
    raise ValueError("no SOF")


def exif_block(payload):
    """An APP1 Exif segment around `payload` (a TIFF structure)."""
    body = b"Exif\0\0" + payload
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def tiff_ifd(entries):
    """A little-endian TIFF with one IFD of (tag, type, count, value-bytes) entries."""
    head = b"II*\0" + struct.pack("<I", 8)
    data_offset = 8 + 2 + 12 * len(entries) + 4
    ifd, data = b"", b""
    for tag, typ, count, value in entries:
        if len(value) <= 4:
            ifd += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\0")
        else:
            ifd += struct.pack("<HHII", tag, typ, count, data_offset + len(data))
            data += value
    return head + struct.pack("<H", len(entries)) + ifd + b"\0\0\0\0" + data


def with_app1(jpeg, segment):
    return jpeg[:2] + segment + jpeg[2:]


base = photo()
png = encode(base, "PNG")
jpg = encode(base, "JPEG", quality=85)
webp = encode(base, "WEBP", lossless=True)

# --- Photos that must be accepted, however unusual.
case("ok.png", png, "accept", "plain RGB PNG")
case("ok.jpg", jpg, "accept", "plain baseline JPEG")
case("ok.webp", webp, "accept", "lossless WebP")
case("lossy.webp", encode(base, "WEBP", quality=70), "accept", "lossy WebP")
case("progressive.jpg", encode(base, "JPEG", progressive=True), "accept", "progressive JPEG")
case("gray.png", encode(base.convert("L"), "PNG"), "accept", "8-bit grayscale PNG")
case("gray.jpg", encode(base.convert("L"), "JPEG"), "accept", "grayscale JPEG")
case("rgba.png", encode(base.convert("RGBA"), "PNG"), "accept", "PNG with alpha")
case("palette.png", encode(base.convert("P"), "PNG"), "accept", "palette PNG")
pal = base.convert("P")
case("palette-trns.png", encode(pal, "PNG", transparency=0), "accept", "palette PNG with tRNS")
case("gray16.png", png_raw(320, 240, 16, 0, zero_rows(320, 240, 2)), "accept", "16-bit grayscale PNG")
case("rgb16.png", png_raw(320, 240, 16, 2, zero_rows(320, 240, 6)), "accept", "16-bit RGB PNG")
case("rgba16.png", png_raw(320, 240, 16, 6, zero_rows(320, 240, 8)), "accept", "16-bit RGBA PNG")
case("cmyk.jpg", encode(base.convert("CMYK"), "JPEG"), "accept", "CMYK JPEG")
rotate = tiff_ifd([(0x0112, 3, 1, struct.pack("<H", 6))])
case("exif-rotated.jpg", with_app1(jpg, exif_block(rotate)), "accept", "EXIF orientation 6")
gps = tiff_ifd([(0x0112, 3, 1, struct.pack("<H", 1)), (0x8825, 4, 1, struct.pack("<I", 26))])
case("exif-gps.jpg", with_app1(jpg, exif_block(gps)), "accept", "EXIF with a GPS pointer (dropped on re-encode)")
big_comment = tiff_ifd([(0x9286, 7, 60000, b"x" * 60000)])
case("exif-huge.jpg", with_app1(jpg, exif_block(big_comment)), "accept", "a 60 KB EXIF user comment")
case("exif-garbage.jpg", with_app1(jpg, exif_block(bytes(rng.getrandbits(8) for _ in range(4000)))), "accept", "EXIF full of noise")
case("exif-bad-offset.jpg", with_app1(jpg, exif_block(b"II*\0" + struct.pack("<I", 0xFFFFFF00))), "either", "EXIF IFD offset past the end")
case("wide.png", encode(photo(4000, 40), "PNG"), "accept", "100:1 wide (stored; the pipeline judges the aspect)")
case("tall.png", encode(photo(40, 4000), "PNG"), "accept", "1:100 tall")
case("png-then-html.png", png + b"<html><script>alert(1)</script></html>", "accept", "PNG with HTML appended (re-encoded away)")
zipped = b"PK\x03\x04" + b"\0" * 26 + b"evil.txt" + b"payload" + b"PK\x05\x06" + b"\0" * 18
case("jpeg-then-zip.jpg", jpg + zipped, "accept", "JPEG/ZIP polyglot")
case("png-huge-text.png", png[:-12] + chunk(b"tEXt", b"Comment\0" + b"A" * 8_000_000) + png[-12:], "accept", "an 8 MB tEXt chunk")
case("png-after-iend.png", png + b"\0" * 100_000, "accept", "bytes after IEND")
# 48 MP is the pixel limit: the largest photos allowed, cheap to send, dear to decode.
case("max-pixels-gray.png", png_raw(12000, 4000, 8, 0, zero_rows(12000, 4000, 1)), "accept", "12000×4000 grayscale (48 MP)")
case("max-pixels-rgb.png", png_raw(8000, 6000, 8, 2, zero_rows(8000, 6000, 3)), "accept", "8000×6000 RGB (48 MP)")
case("max-pixels.jpg", encode(Image.new("RGB", (8000, 6000), (200, 150, 100)), "JPEG", quality=50), "accept", "8000×6000 JPEG (48 MP)")
case("max-pixels-rgba16.png", png_raw(6000, 4000, 16, 6, zero_rows(6000, 4000, 8)), "accept", "6000×4000 16-bit RGBA (24 MP, 192 MB decoded)")

# Animations: only the first frame matters; 10,000 frames must not be decoded.
frames = [Image.new("RGB", (64, 64), (i % 256, (i * 7) % 256, 90)) for i in range(10_000)]
buf = io.BytesIO()
frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:], duration=10)
case("apng-10000.png", buf.getvalue(), "accept", "APNG with 10,000 frames")
buf = io.BytesIO()
frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:], duration=10, lossless=True)
case("webp-anim-10000.webp", buf.getvalue(), "either", "animated WebP with 10,000 frames")
buf = io.BytesIO()
frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=10)
case("gif-10000.gif", buf.getvalue(), "reject", "GIF with 10,000 frames (GIF is not accepted)")
del frames

# --- Bombs: refused from the header, before any pixel is decoded.
case("bomb-60000.png", png_raw(60000, 60000, 8, 2, zero_rows(1, 1, 3)), "reject", "PNG claiming 60000×60000")
case("bomb-side.png", png_raw(12001, 100, 8, 0, zero_rows(1, 1, 1)), "reject", "PNG one pixel over the side limit")
case("bomb-8000x8000.png", png_raw(8000, 8000, 8, 0, zero_rows(8000, 8000, 1)), "reject", "PNG of 64 MP (real data, 60 KB compressed)")
case("bomb-2^31.png", png_raw(0x7FFFFFFF, 1, 8, 0, zero_rows(1, 1, 1)), "reject", "PNG claiming 2^31-1 wide")
case("bomb-65000.jpg", jpeg_with_size(jpg, 65000, 65000), "reject", "JPEG claiming 65000×65000")
case("bomb-wide.jpg", jpeg_with_size(jpg, 65000, 100), "reject", "JPEG claiming 65000×100")
vp8l = bytearray(webp)
# VP8L header: 14-bit width-1 and height-1 after the signature byte 0x2f.
at = vp8l.find(b"VP8L") + 8
bits = (16383 - 1) | ((16383 - 1) << 14)
vp8l[at + 1:at + 5] = struct.pack("<I", bits | (struct.unpack("<I", bytes(vp8l[at + 1:at + 5]))[0] & 0xF0000000))
case("bomb-16383.webp", bytes(vp8l), "reject", "WebP claiming 16383×16383")
vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x10\0\0\0" + (16383).to_bytes(3, "little") + (16383).to_bytes(3, "little")
riff_body = b"WEBP" + vp8x + webp[12:]
case("bomb-vp8x.webp", b"RIFF" + struct.pack("<I", len(riff_body)) + riff_body, "reject", "WebP VP8X canvas of 16384×16384")
case("zero-width.png", png_raw(0, 100, 8, 0, b""), "reject", "PNG 0 px wide")
case("zero-size.jpg", jpeg_with_size(jpg, 0, 0), "reject", "JPEG 0×0")
case("tiny.png", encode(photo(10, 10), "PNG"), "reject", "10×10: below the smallest photo")
case("one-pixel.jpg", encode(photo(1, 1), "JPEG"), "reject", "1×1 JPEG")

# --- Broken files.
case("empty.png", b"", "reject", "zero bytes")
case("one-byte.jpg", b"\xff", "reject", "one byte")
case("png-signature-only.png", png[:8], "reject", "PNG signature and nothing else")
case("png-truncated-header.png", png[:20], "reject", "cut inside IHDR")
case("png-truncated.png", png[: len(png) // 2], "reject", "half a PNG")
case("jpeg-truncated.jpg", jpg[: len(jpg) // 3], "either", "a third of a JPEG (decoders may fill the rest)")
case("jpeg-header-only.jpg", jpg[:600], "reject", "JPEG headers, no scan")
case("webp-truncated.webp", webp[: len(webp) // 2], "reject", "half a WebP")
case("png-bad-crc.png", png_raw(320, 240, 8, 2, zero_rows(320, 240, 3), crc_ok=False), "reject", "IHDR with a wrong CRC")
bad_idat = png_raw(320, 240, 8, 2, zero_rows(320, 240, 3))
i = bad_idat.find(b"IDAT") + 10
case("png-bad-zlib.png", bad_idat[:i] + bytes(rng.getrandbits(8) for _ in range(40)) + bad_idat[i + 40:], "reject", "corrupt compressed data")
scrambled = bytearray(jpg)
for k in range(len(scrambled) // 2, len(scrambled) - 2, 7):
    scrambled[k] = rng.getrandbits(8)
case("jpeg-scrambled.jpg", bytes(scrambled), "either", "noise in the entropy-coded data")
case("png-bad-colour-type.png", png_raw(320, 240, 8, 5, zero_rows(320, 240, 3)), "reject", "colour type 5 does not exist")
case("png-bad-depth.png", png_raw(320, 240, 7, 2, zero_rows(320, 240, 3)), "reject", "bit depth 7")

# --- Other things pretending to be photos.
svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><script>alert(1)</script></svg>'
case("svg-as.png", svg, "reject", "SVG named .png")
case("svg.svg", svg, "reject", "SVG")
case("html-as.jpg", b"<!doctype html><html><body onload=alert(1)></body></html>", "reject", "HTML named .jpg")
case("gif-header-html.png", b"GIF89a/*" + b"\0" * 8 + b"*/=1;alert(1)//<script>", "reject", "GIF/JavaScript polyglot")
case("text.png", b"hello, I am a photo", "reject", "plain text")
case("pdf-as.png", b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "reject", "PDF named .png")
case("bmp-as.png", encode(photo(64, 64), "BMP"), "reject", "BMP named .png")
case("tiff-as.jpg", encode(photo(64, 64), "TIFF"), "reject", "TIFF named .jpg")
case("ico-as.png", encode(photo(64, 64), "ICO"), "reject", "ICO named .png")
case("heic-like.jpg", struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0mif1heic" + b"\0" * 200, "reject", "HEIC container (no maintained Rust decoder is used)")
case("random.bin", bytes(rng.getrandbits(8) for _ in range(50_000)), "reject", "random bytes")
case("zeros.png", b"\0" * 10_000, "reject", "zero bytes of the right size")
case("oversize.png", png[:-12] + chunk(b"tEXt", b"Comment\0" + b"A" * 16_000_000) + png[-12:], "reject", "16 MB: over the upload limit")

with open(os.path.join(OUT, "expect.json"), "w") as f:
    json.dump(CASES, f, indent=1)
print(f"{len(CASES)} files in {OUT}")
