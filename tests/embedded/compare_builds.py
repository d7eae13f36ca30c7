#!/usr/bin/env python3
"""embed_denoiser built for another processor (run under an emulator) against
the same tree's native build, on one noisy test image: the floats within
1e-5 of each other, the 8-bit PNGs within one grey level.

  compare_builds.py REFERENCE_PROGRAM WORK_DIR PROGRAM [EMULATOR ARGS...]
"""
import math
import pathlib
import random
import struct
import subprocess
import sys
import zlib


def noisy_image(path):
    """A 28x28 grey PGM: a soft blob with the notebook's noise (factor 0.2), seeded."""
    rng = random.Random(0)
    pixels = bytearray()
    for y in range(28):
        for x in range(28):
            clean = math.exp(-((x - 13.5) ** 2 + (y - 11) ** 2) / 60.0)
            pixels.append(round(255 * min(1.0, max(0.0, clean + 0.2 * rng.gauss(0, 1)))))
    path.write_bytes(b"P5\n28 28\n255\n" + bytes(pixels))


def png_grey_pixels(path):
    """The pixels of an 8-bit grey, non-interlaced PNG (what typenet writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    at, idat, width, height = 8, b"", 0, 0
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, colour, interlace) == (8, 0, 0), f"{path}: not 8-bit grey without interlacing"
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw, rows, previous = zlib.decompress(idat), [], bytes(width)
    for y in range(height):
        kind, line = raw[y * (width + 1)], bytearray(raw[y * (width + 1) + 1:(y + 1) * (width + 1)])
        for x in range(width):
            left = line[x - 1] if x else 0
            up, up_left = previous[x], previous[x - 1] if x else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - up_left
                nearest = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - up_left), 2, up_left))[2]
                line[x] = (line[x] + nearest) & 255
        rows.append(bytes(line))
        previous = line
    return b"".join(rows)


def main():
    reference, work, program = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
    work.mkdir(parents=True, exist_ok=True)
    image = work / "noisy.pgm"
    noisy_image(image)
    outputs = {}
    for name, command in (("reference", [reference]), ("program", program)):
        for extension in ("txt", "png"):
            out = work / f"{name}.{extension}"
            subprocess.run(command + [str(image), str(out)], check=True, stdout=subprocess.DEVNULL)
            outputs[name, extension] = out
    floats = {name: [float(v) for v in outputs[name, "txt"].read_text().split()] for name in ("reference", "program")}
    greys = {name: png_grey_pixels(outputs[name, "png"]) for name in ("reference", "program")}
    assert len(floats["reference"]) == len(floats["program"]) == 784, "a denoised image is 784 floats"
    worst_float = max(abs(a - b) for a, b in zip(floats["reference"], floats["program"]))
    worst_grey = max(abs(a - b) for a, b in zip(greys["reference"], greys["program"]))
    print(f"784 pixels: the floats within {worst_float:.3g} of the reference build's, "
          f"the PNG's grey levels within {worst_grey}")
    sys.exit(0 if worst_float <= 1e-5 and worst_grey <= 1 else 1)


main()
