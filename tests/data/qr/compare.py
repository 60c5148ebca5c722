#!/usr/bin/env python3
"""Decode rates per corpus category: zbar (zbarimg, Debian's zbar-tools) and zxing-cpp (PyPI
`zxing-cpp`), side by side with Comptoir's chain when its bench results are given.

    apt-get install zbar-tools && pip install zxing-cpp pillow
    cargo bench --bench qr -- --json target/qr-bench.json      # Comptoir's chain (optional)
    python3 tests/data/qr/compare.py [--ours target/qr-bench.json] [--dir DIR]

`--dir` reads another folder laid out like this one (a manifest.json with "frames": [{file,
category, payload}]). A decode counts as found when one of the texts a decoder returns equals the
expected payload, and as wrong when it returns any other text (in `none`, any text is wrong).
zxing-cpp runs with its defaults (try rotate, downscale and invert); zbar with QR only.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def zbar(path):
    """zbarimg's XML output keeps each symbol's text whole (multi-line payloads included)."""
    import xml.etree.ElementTree as ET

    out = subprocess.run(
        ["zbarimg", "-q", "--xml", "-Sdisable", "-Sqrcode.enable", path],
        capture_output=True,
    )
    if out.returncode not in (0, 4) or not out.stdout.strip():
        return []
    ns = "{http://zbar.sourceforge.net/2008/barcode}"
    texts = []
    for sym in ET.fromstring(out.stdout).iter(ns + "symbol"):
        data = sym.find(ns + "data")
        if data is None:
            continue
        text = data.text or ""
        if data.get("format") == "base64":
            import base64

            text = base64.b64decode(text).decode("utf-8", "replace")
        texts.append(text)
    return texts


def zxing(path):
    import zxingcpp
    from PIL import Image

    img = Image.open(path).convert("L")
    start = time.perf_counter()
    found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    ms = (time.perf_counter() - start) * 1000
    return [b.text for b in found], ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=HERE)
    ap.add_argument("--ours", help="JSON lines written by `cargo bench --bench qr -- --json`")
    args = ap.parse_args()
    with open(os.path.join(args.dir, "manifest.json")) as f:
        frames = json.load(f)["frames"]

    ours = {}
    if args.ours:
        with open(args.ours) as f:
            for line in f:
                rec = json.loads(line)
                ours[rec["file"]] = rec["texts"]

    have_zbar = shutil.which("zbarimg") is not None
    try:
        import zxingcpp  # noqa: F401

        have_zxing = True
    except ImportError:
        have_zxing = False

    stats = {}
    zx_ms = []
    for fr in frames:
        path = os.path.join(args.dir, fr["file"])
        cat = fr["category"]
        expected = fr["payload"]
        s = stats.setdefault(cat, {"n": 0, "codes": 0})
        s["n"] += 1
        s["codes"] += expected is not None
        results = {}
        if have_zbar:
            results["zbar"] = zbar(path)
        if have_zxing:
            texts, ms = zxing(path)
            results["zxing-cpp"] = texts
            zx_ms.append(ms)
        if fr["file"] in ours:
            results["comptoir"] = ours[fr["file"]]
        for name, texts in results.items():
            found = expected is not None and expected in texts
            wrong = sum(1 for t in texts if t != expected)
            s[name + "_ok"] = s.get(name + "_ok", 0) + found
            s[name + "_wrong"] = s.get(name + "_wrong", 0) + wrong

    names = [n for n, on in (("comptoir", bool(ours)), ("zbar", have_zbar), ("zxing-cpp", have_zxing)) if on]
    header = f"{'category':<14}{'frames':>7}" + "".join(f"{n:>18}" for n in names)
    print(header)
    total = {"n": 0, "codes": 0}
    for cat, s in stats.items():
        total["n"] += s["n"]
        total["codes"] += s["codes"]
        row = f"{cat:<14}{s['n']:>7}"
        for n in names:
            total[n + "_ok"] = total.get(n + "_ok", 0) + s.get(n + "_ok", 0)
            total[n + "_wrong"] = total.get(n + "_wrong", 0) + s.get(n + "_wrong", 0)
            cell = f"{s.get(n + '_ok', 0)}/{s['codes']}"
            if s.get(n + "_wrong", 0):
                cell += f" ({s[n + '_wrong']} wrong)"
            row += f"{cell:>18}"
        print(row)
    row = f"{'all':<14}{total['n']:>7}"
    for n in names:
        cell = f"{total[n + '_ok']}/{total['codes']}"
        if total[n + "_wrong"]:
            cell += f" ({total[n + '_wrong']} wrong)"
        row += f"{cell:>18}"
    print(row)
    if zx_ms:
        zx_ms.sort()
        p95 = zx_ms[min(len(zx_ms) - 1, int(len(zx_ms) * 0.95))]
        print(f"zxing-cpp decode ms (in-process, Python binding): p50 {statistics.median(zx_ms):.1f}, p95 {p95:.1f}")


if __name__ == "__main__":
    main()
