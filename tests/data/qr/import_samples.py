#!/usr/bin/env python3
"""Turns a folder of decoder test photos laid out like zxing-cpp's `test/samples/qrcode-*`
(IMAGE.png|jpg|webp beside IMAGE.txt holding the expected text) into a corpus the bench and
compare.py read: grayscale PNG frames (longer side at most 640, like a camera frame) and a
manifest.json whose category is the sample folder's name.

It is how the real-photo figures of issue 4 were measured; the photos are not shipped with
Comptoir, so this is run on a local copy:

    python3 tests/data/qr/import_samples.py ZXING_CPP/test/samples /tmp/realqr
    cargo bench --bench qr -- --dir /tmp/realqr --json target/qr-real.json
    python3 tests/data/qr/compare.py --dir /tmp/realqr --ours target/qr-real.json
"""

import glob
import json
import os
import sys

from PIL import Image


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: import_samples.py SAMPLES_DIR OUT_DIR")
    samples, out = sys.argv[1], sys.argv[2]
    frames = []
    for folder in sorted(glob.glob(os.path.join(samples, "qrcode-*"))):
        category = os.path.basename(folder)
        os.makedirs(os.path.join(out, "frames", category), exist_ok=True)
        for name in sorted(os.listdir(folder)):
            base, ext = os.path.splitext(name)
            expected = os.path.join(folder, base + ".txt")
            if ext not in (".png", ".jpg", ".webp") or not os.path.exists(expected):
                continue
            with open(expected, "rb") as f:
                payload = f.read().decode("utf-8", "replace")
            img = Image.open(os.path.join(folder, name)).convert("L")
            scale = min(1.0, 640 / max(img.size))
            if scale < 1:
                img = img.resize((round(img.size[0] * scale), round(img.size[1] * scale)), Image.LANCZOS)
            rel = f"frames/{category}/{base}.png"
            img.save(os.path.join(out, rel))
            frames.append({"file": rel, "category": category, "payload": payload})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"frames": frames}, f, indent=1, ensure_ascii=False)
    print(f"{len(frames)} frames in {out}")


if __name__ == "__main__":
    main()
