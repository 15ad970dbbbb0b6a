#!/usr/bin/env python3
"""Generates the image-decoder test vectors (Sources/HonninProofing/Imaging) and their expected facts (expected.json).

Run from this folder with Pillow installed (see README.md):

    python3 make_vectors.py            # writes *.jpg, *.png, *.ref.png, expected.json
    python3 make_vectors.py --check DIR  # opens every sanitized file a Swift test run wrote to DIR with Pillow

Everything is deterministic: pictures are drawn from coordinates and a seeded random.Random; PNGs that Pillow
cannot write (16-bit RGB/RGBA/gray+alpha, sub-byte gray with Adam7, interlacing, chosen filters, stored and fixed
DEFLATE blocks) come from the small encoder below (zlib from the Python standard library); one JPEG with 4:4:0
sampling, which Pillow cannot write, comes from libjpeg-turbo's cjpeg. The expected pixels are always what Pillow
decodes, so Pillow is the independent reference.
"""

import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib

import PIL
from PIL import Image, ImageDraw, PngImagePlugin

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- pictures


def scene(w, h, seed):
    """Gradients, hard-edged shapes, a thin diagonal line and a patch of seeded noise."""
    rnd = random.Random(seed)
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            r = (x * 255) // max(1, w - 1)
            g = (y * 255) // max(1, h - 1)
            b = 128 + (((x * 3 + y * 5) % 64) - 32) * 2
            px[x, y] = (r, g, b)
    d = ImageDraw.Draw(im)
    d.ellipse([w // 5, h // 6, (3 * w) // 5, (11 * h) // 20], fill=(230, 200, 170), outline=(40, 20, 10))
    d.rectangle([(11 * w) // 20, (3 * h) // 5, (9 * w) // 10, (17 * h) // 20], fill=(20, 60, 160))
    d.line([(0, h - 1), (w - 1, 0)], fill=(255, 255, 255), width=1)
    for y in range(h // 10, h // 10 + max(2, h // 8)):
        for x in range(w // 10, w // 10 + max(2, w // 8)):
            px[x, y] = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
    return im


# ---------------------------------------------------------------- a small PNG encoder (PNG 3rd ed. §§ 7-11)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """samples: flat list of sample values of one row."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out = bytearray()
    acc = 0
    nbits = 0
    for s in samples:
        acc = (acc << depth) | s
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc = 0
            nbits = 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(kind, row, prev, bpp):
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev is not None else 0
        c = prev[i - bpp] if (prev is not None and i >= bpp) else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - pred) & 0xFF)
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def encode_png(w, h, color_type, depth, pixels, interlace=False, plte=None, trns=None, level=9,
               strategy=zlib.Z_DEFAULT_STRATEGY, idat_size=None, extra_before=(), extra_after=()):
    """pixels[y][x] is a tuple of samples at `depth`. Filter type of each row cycles through 0..4."""
    n = CHANNELS[color_type]
    bpp = max(1, n * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = bytearray()
    row_counter = 0
    for (x0, y0, dx, dy) in passes:
        xs = list(range(x0, w, dx))
        ys = list(range(y0, h, dy))
        if not xs or not ys:
            continue
        prev = None
        for y in ys:
            row = pack_row([s for x in xs for s in pixels[y][x]], depth)
            raw += filter_row(row_counter % 5, row, prev, bpp)
            row_counter += 1
            prev = row
    comp = zlib.compressobj(level, zlib.DEFLATED, 15, 9, strategy)
    stream = comp.compress(bytes(raw)) + comp.flush()
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))
    for c in extra_before:
        out += c
    if plte is not None:
        out += chunk(b"PLTE", bytes(plte))
    if trns is not None:
        out += chunk(b"tRNS", bytes(trns))
    size = idat_size or len(stream)
    for i in range(0, len(stream), size):
        out += chunk(b"IDAT", stream[i:i + size])
    for c in extra_after:
        out += c
    out += chunk(b"IEND", b"")
    return out


def grid(im, fn):
    w, h = im.size
    px = im.load()
    return [[fn(px[x, y], x, y) for x in range(w)] for y in range(h)]


# ---------------------------------------------------------------- expected pixels as Pillow decodes them


def pillow_pixels(data):
    """(width, height, channels, bytes) in the decoder's layout, from Pillow's decoding of `data`."""
    im = Image.open(io.BytesIO(data))
    im.load()
    mode = im.mode
    if mode == "1":
        im = im.convert("L")
    elif mode in ("I;16", "I;16B"):
        w, h = im.size
        raw = im.tobytes()  # 16-bit samples, little-endian for "I;16", big-endian for "I;16B"
        high = raw[1::2] if mode == "I;16" else raw[0::2]
        return w, h, 1, bytes(high)
    elif mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode in ("L", "RGB") and "transparency" in im.info:
        im = im.convert("RGBA")
    elif mode == "LA":
        im = im.convert("RGBA")
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[im.mode]
    return im.size[0], im.size[1], channels, im.tobytes()


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def facts(name, data, fmt, exact, reference=True, **extra):
    w, h, ch, px = pillow_pixels(data)
    means = [round(sum(px[c::ch]) / (w * h), 4) for c in range(ch)]
    samples = []
    for (x, y) in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (w // 2, h // 2), (w // 3, (2 * h) // 3)]:
        o = (y * w + x) * ch
        samples.append({"x": x, "y": y, "value": list(px[o:o + ch])})
    entry = {"file": name, "format": fmt, "width": w, "height": h, "channels": ch, "mean": means,
             "samples": samples, "orientation": 1, "hadLocation": False, "mustNotContain": [], "removed": []}
    if exact:
        entry["fnv1a64"] = fnv1a64(px)
    elif reference:
        ref = name.rsplit(".", 1)[0] + ".ref.png"
        mode = {1: "L", 3: "RGB"}[ch]
        Image.frombytes(mode, (w, h), px).save(os.path.join(HERE, ref), optimize=True)
        entry["reference"] = ref
    entry.update(extra)
    return entry


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    return data


def jpeg(im, **kw):
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


def png(im, **kw):
    buf = io.BytesIO()
    im.save(buf, "PNG", **kw)
    return buf.getvalue()


def insert_after_soi(data, segments):
    assert data[:2] == b"\xff\xd8"
    return data[:2] + b"".join(segments) + data[2:]


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


# ---------------------------------------------------------------- metadata


def exif_bytes():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[0x010F] = "HonninTestCam"  # Make
    exif[0x0110] = "Model-Z"  # Model
    exif[0x0132] = "2024:01:02 03:04:05"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (35.0, 41.0, 22.0)
    gps[3] = "E"
    gps[4] = (139.0, 41.0, 30.0)
    return exif.tobytes()  # starts with b"Exif\0\0"


XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="HonninSecretCreator"/>'
       b"</rdf:RDF></x:xmpmeta>")


def main():
    vectors = []
    random.seed(0)

    # ---------------- JPEG
    base = scene(201, 233, 1)
    d = write("jpeg_baseline_420.jpg", jpeg(base, quality=90, subsampling="4:2:0"))
    vectors.append(facts("jpeg_baseline_420.jpg", d, "jpeg", False))
    d = write("jpeg_baseline_444.jpg", jpeg(scene(64, 48, 2), quality=92, subsampling="4:4:4"))
    vectors.append(facts("jpeg_baseline_444.jpg", d, "jpeg", False))
    d = write("jpeg_baseline_422.jpg", jpeg(scene(67, 45, 3), quality=85, subsampling="4:2:2"))
    vectors.append(facts("jpeg_baseline_422.jpg", d, "jpeg", False))
    d = write("jpeg_progressive_420.jpg", jpeg(scene(96, 80, 4), quality=88, subsampling="4:2:0",
                                               progressive=True))
    vectors.append(facts("jpeg_progressive_420.jpg", d, "jpeg", False))
    d = write("jpeg_progressive_444.jpg", jpeg(scene(53, 41, 5), quality=95, subsampling="4:4:4",
                                               progressive=True, optimize=True))
    vectors.append(facts("jpeg_progressive_444.jpg", d, "jpeg", False))
    d = write("jpeg_gray.jpg", jpeg(scene(70, 50, 6).convert("L"), quality=90))
    vectors.append(facts("jpeg_gray.jpg", d, "jpeg", False))
    d = write("jpeg_gray_progressive.jpg", jpeg(scene(45, 37, 7).convert("L"), quality=80, progressive=True))
    vectors.append(facts("jpeg_gray_progressive.jpg", d, "jpeg", False))
    d = write("jpeg_restart_420.jpg", jpeg(scene(81, 61, 8), quality=90, subsampling="4:2:0",
                                           restart_marker_blocks=3))
    vectors.append(facts("jpeg_restart_420.jpg", d, "jpeg", False))
    d = write("jpeg_progressive_restart.jpg", jpeg(scene(50, 40, 9), quality=90, subsampling="4:2:0",
                                                   progressive=True, restart_marker_rows=1))
    vectors.append(facts("jpeg_progressive_restart.jpg", d, "jpeg", False))
    d = write("jpeg_tiny_420.jpg", jpeg(scene(24, 17, 10), quality=75, subsampling="4:2:0"))
    vectors.append(facts("jpeg_tiny_420.jpg", d, "jpeg", False))
    # 4:4:0 (vertical-only subsampling): Pillow cannot write it, libjpeg-turbo's cjpeg can.
    if shutil.which("cjpeg"):
        ppm = io.BytesIO()
        scene(57, 43, 11).save(ppm, "PPM")
        d = subprocess.run(["cjpeg", "-quality", "90", "-sample", "1x2,1x1,1x1"], input=ppm.getvalue(),
                           capture_output=True, check=True).stdout
        write("jpeg_baseline_440.jpg", d)
    with open(os.path.join(HERE, "jpeg_baseline_440.jpg"), "rb") as f:
        vectors.append(facts("jpeg_baseline_440.jpg", f.read(), "jpeg", False))

    # JPEG with metadata: EXIF (orientation 6, GPS), XMP, COM, APP13 IPTC, ICC profile, a JFIF thumbnail,
    # and bytes after EOI. Each must go except JFIF (without thumbnail) and ICC.
    meta = scene(220, 210, 12)
    d = jpeg(meta, quality=90, subsampling="4:2:0", exif=exif_bytes(), xmp=XMP,
             comment=b"HonninSecretComment", icc_profile=b"\0" * 128 + b"acspHonninICC")
    # Replace Pillow's APP0 JFIF with one carrying a 2x1 RGB thumbnail (JFIF 1.02).
    assert d[2:4] == b"\xff\xe0"
    app0_len = struct.unpack(">H", d[4:6])[0]
    jfif = b"JFIF\0\x01\x02\x00\x00\x01\x00\x01" + bytes([2, 1]) + b"THUMBS"
    d = d[:2] + segment(0xE0, jfif) + d[4 + app0_len:]
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x17\x1c\x02\x50\x00\x12HonninSecretAuthor\x00"
    d = insert_after_soi(d, [])
    eoi = d.rfind(b"\xff\xd9")
    d = d[:eoi] + d[eoi:] + b"HonninTrailingSecret"
    # APP13 goes right after the JFIF segment.
    j = 2 + 2 + len(jfif) + 2
    d = d[:j] + segment(0xED, iptc) + d[j:]
    write("jpeg_exif_gps.jpg", d)
    vectors.append(facts(
        "jpeg_exif_gps.jpg", d, "jpeg", False, reference=False, orientation=6, hadLocation=True,
        mustNotContain=["Exif", "HonninTestCam", "HonninSecretCreator", "HonninSecretComment",
                        "HonninSecretAuthor", "HonninTrailingSecret", "THUMBS"],
        mustContain=["JFIF", "ICC_PROFILE", "acspHonninICC"],
        removed=["APP1 Exif", "APP1 XMP", "COM", "APP13 IPTC", "APP0 JFIF thumbnail", "trailing bytes"]))

    # ---------------- PNG written by Pillow
    g = scene(37, 29, 20).convert("L")
    bw = g.point(lambda v: 255 if v > 128 else 0).convert("1")
    d = write("png_gray1.png", png(bw))
    vectors.append(facts("png_gray1.png", d, "png", True))
    d = write("png_gray2.png", png(g, bits=2))
    vectors.append(facts("png_gray2.png", d, "png", True))
    d = write("png_gray4.png", png(g, bits=4))
    vectors.append(facts("png_gray4.png", d, "png", True))
    d = write("png_gray8.png", png(g))
    vectors.append(facts("png_gray8.png", d, "png", True))
    g16 = Image.frombytes("I;16", g.size, b"".join(
        struct.pack("<H", v * 257 ^ ((i * 37) & 0xFF)) for i, v in enumerate(g.tobytes())))
    d = write("png_gray16.png", png(g16))
    vectors.append(facts("png_gray16.png", d, "png", True))
    rgb = scene(41, 31, 21)
    d = write("png_rgb8.png", png(rgb))
    vectors.append(facts("png_rgb8.png", d, "png", True))
    rgba = rgb.copy()
    rgba.putalpha(Image.linear_gradient("L").resize(rgb.size))
    d = write("png_rgba8.png", png(rgba))
    vectors.append(facts("png_rgba8.png", d, "png", True))
    la = Image.merge("LA", [rgb.convert("L"), Image.linear_gradient("L").transpose(
        Image.Transpose.ROTATE_90).resize(rgb.size)])
    d = write("png_graya8.png", png(la))
    vectors.append(facts("png_graya8.png", d, "png", True))
    pal = rgb.quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    d = write("png_palette4.png", png(pal, bits=4))
    vectors.append(facts("png_palette4.png", d, "png", True))
    pal8 = rgb.quantize(colors=200, method=Image.Quantize.MEDIANCUT)
    d = write("png_palette8_trns.png", png(pal8, transparency=bytes([0, 64, 128, 192] * 10)))
    vectors.append(facts("png_palette8_trns.png", d, "png", True))
    g8t = scene(33, 21, 22).convert("L")
    d = write("png_gray8_trns.png", png(g8t, transparency=int(g8t.getpixel((0, 0)))))
    vectors.append(facts("png_gray8_trns.png", d, "png", True))
    rgbt = scene(33, 21, 23)
    d = write("png_rgb8_trns.png", png(rgbt, transparency=rgbt.getpixel((5, 5))))
    vectors.append(facts("png_rgb8_trns.png", d, "png", True))

    # ---------------- PNG from the encoder above (Pillow only reads these)
    src = scene(29, 23, 30)
    d = write("png_rgb16.png", encode_png(29, 23, 2, 16, grid(src, lambda p, x, y: tuple(
        v * 257 ^ ((x * 13 + y * 7 + i) & 0xFF) for i, v in enumerate(p)))))
    vectors.append(facts("png_rgb16.png", d, "png", True))
    d = write("png_rgba16.png", encode_png(29, 23, 6, 16, grid(src, lambda p, x, y: tuple(
        v * 257 for v in p) + (((x * 9 + y * 11) % 256) * 257 ^ 3,))))
    vectors.append(facts("png_rgba16.png", d, "png", True))
    d = write("png_graya16.png", encode_png(29, 23, 4, 16, grid(src, lambda p, x, y: (
        p[0] * 256 + p[1], ((x + y) * 5 % 256) * 257))))
    vectors.append(facts("png_graya16.png", d, "png", True))
    d = write("png_filters_rgb8.png", encode_png(29, 23, 2, 8, grid(src, lambda p, x, y: p)))
    vectors.append(facts("png_filters_rgb8.png", d, "png", True))
    d = write("png_interlaced_rgb8.png", encode_png(37, 29, 2, 8, grid(scene(37, 29, 31), lambda p, x, y: p),
                                                    interlace=True))
    vectors.append(facts("png_interlaced_rgb8.png", d, "png", True))
    d = write("png_interlaced_rgba16.png", encode_png(19, 13, 6, 16, grid(scene(19, 13, 32), lambda p, x, y: tuple(
        v * 257 ^ x for v in p) + ((y * 20) * 257,)), interlace=True))
    vectors.append(facts("png_interlaced_rgba16.png", d, "png", True))
    gsrc = scene(23, 19, 33).convert("L")
    d = write("png_interlaced_gray1.png", encode_png(23, 19, 0, 1, grid(gsrc, lambda p, x, y: (1 if p > 110 else 0,)),
                                                     interlace=True))
    vectors.append(facts("png_interlaced_gray1.png", d, "png", True))
    d = write("png_interlaced_gray2.png", encode_png(23, 19, 0, 2, grid(gsrc, lambda p, x, y: (p >> 6,)),
                                                     interlace=True))
    vectors.append(facts("png_interlaced_gray2.png", d, "png", True))
    palette = [c for i in range(16) for c in ((i * 17) % 256, (255 - i * 13) % 256, (i * 71) % 256)]
    d = write("png_interlaced_palette4_trns.png", encode_png(
        23, 19, 3, 4, grid(gsrc, lambda p, x, y: (p >> 4,)), interlace=True, plte=palette,
        trns=[255 - i * 15 for i in range(10)]))
    vectors.append(facts("png_interlaced_palette4_trns.png", d, "png", True))
    d = write("png_interlaced_tiny.png", encode_png(3, 2, 2, 8, grid(scene(3, 2, 34), lambda p, x, y: p),
                                                    interlace=True))
    vectors.append(facts("png_interlaced_tiny.png", d, "png", True))
    d = write("png_stored_blocks.png", encode_png(25, 20, 2, 8, grid(scene(25, 20, 35), lambda p, x, y: p),
                                                  level=0, idat_size=97))
    vectors.append(facts("png_stored_blocks.png", d, "png", True))
    d = write("png_fixed_huffman.png", encode_png(25, 20, 2, 8, grid(scene(25, 20, 36), lambda p, x, y: p),
                                                  strategy=zlib.Z_FIXED, idat_size=50))
    vectors.append(facts("png_fixed_huffman.png", d, "png", True))

    # APNG: the default image is decoded, the animation chunks go.
    frames = [scene(30, 20, 40 + i) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:], duration=100, loop=0)
    d = write("png_apng.png", buf.getvalue())
    vectors.append(facts("png_apng.png", d, "png", True, removed=["acTL", "fcTL", "fdAT"],
                         mustNotContain=["acTL", "fcTL", "fdAT"]))

    # PNG with metadata: eXIf (orientation 6, GPS), tEXt, zTXt, iTXt (XMP), tIME, pHYs, and trailing bytes;
    # gAMA and sRGB stay.
    meta = scene(210, 205, 50)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "HonninSecretAuthor")
    info.add_text("Comment", "HonninSecretZText", zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    info.add(b"tIME", struct.pack(">HBBBBB", 2024, 1, 2, 3, 4, 5))
    info.add(b"gAMA", struct.pack(">I", 45455))
    info.add(b"sRGB", b"\x00")
    d = png(meta, pnginfo=info, exif=exif_bytes(), dpi=(300, 300)) + b"HonninTrailingSecret"
    write("png_exif_text.png", d)
    vectors.append(facts(
        "png_exif_text.png", d, "png", True, orientation=6, hadLocation=True,
        mustNotContain=["eXIf", "tEXt", "zTXt", "iTXt", "tIME", "pHYs", "Author", "Comment", "XML:com.adobe.xmp",
                        "HonninSecretAuthor",
                        "HonninTestCam", "HonninSecretCreator", "HonninTrailingSecret"],
        mustContain=["gAMA", "sRGB"],
        removed=["tEXt", "zTXt", "iTXt", "tIME", "eXIf", "pHYs", "trailing bytes"]))

    # ---------------- facts about the shared face photos (read in place; never copied here)
    faces = []
    faces_dir = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "data", "faces"))
    if os.path.isdir(faces_dir):
        for name in sorted(os.listdir(faces_dir)):
            if not name.lower().endswith((".jpg", ".png")):
                continue
            with open(os.path.join(faces_dir, name), "rb") as f:
                data = f.read()
            w, h, ch, px = pillow_pixels(data)
            exif = Image.open(io.BytesIO(data)).getexif()
            # Mean of each cell of an 8x8 grid, per channel: a coarse picture to compare against.
            cells = []
            for gy in range(8):
                for gx in range(8):
                    x0, x1 = gx * w // 8, (gx + 1) * w // 8
                    y0, y1 = gy * h // 8, (gy + 1) * h // 8
                    for c in range(ch):
                        total = 0
                        for y in range(y0, y1):
                            row = px[(y * w + x0) * ch + c:(y * w + x1) * ch:ch]
                            total += sum(row)
                        cells.append(round(total / ((x1 - x0) * (y1 - y0)), 3))
            faces.append({"file": name, "width": w, "height": h, "channels": ch,
                          "orientation": int(exif.get(0x0112, 1)), "hadLocation": 0x8825 in exif,
                          "hasExif": len(exif) > 0, "cellMeans": cells})

    # One vector or face per line: small, and diffs stay readable.
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        f.write('{"pillow": %s,\n "vectors": [\n' % json.dumps(PIL.__version__))
        f.write(",\n".join("  " + json.dumps(v) for v in vectors))
        f.write('\n ],\n "faces": [\n')
        f.write(",\n".join("  " + json.dumps(v) for v in faces))
        f.write("\n ]\n}\n")
    total = sum(os.path.getsize(os.path.join(HERE, n)) for n in os.listdir(HERE))
    print(f"{len(vectors)} vectors, {len(faces)} face facts, folder {total} bytes")


def check(directory):
    """Opens every file a Swift test run wrote (HONNIN_IMAGING_SANITIZED_DIR) with Pillow and compares its pixels with
    the original vector's."""
    with open(os.path.join(HERE, "expected.json")) as f:
        expected = {v["file"]: v for v in json.load(f)["vectors"]}
    failures = 0
    count = 0
    for name in sorted(os.listdir(directory)):
        original = name.replace(".sanitized", "")
        if original not in expected:
            continue
        with open(os.path.join(directory, name), "rb") as f:
            sanitized = f.read()
        with open(os.path.join(HERE, original), "rb") as f:
            source = f.read()
        a = pillow_pixels(source)
        b = pillow_pixels(sanitized)
        ok = a == b
        count += 1
        failures += 0 if ok else 1
        print(("ok  " if ok else "FAIL"), name)
    print(f"{count - failures} passed, {failures} failed")
    return failures == 0 and count > 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(0 if check(sys.argv[2]) else 1)
    main()
