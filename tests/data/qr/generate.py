#!/usr/bin/env python3
"""Generates the camera QR corpus of issue 4: 640x480 grayscale JPEG frames, one folder per
category, and `manifest.json` with the payload expected in each frame (null: no code).

Why generated: no set of real QR photographs could be had from the package registries this
project may use (PyPI, npm, crates.io, Debian were checked; none ships QR photos with a licence
that allows redistribution). So the codes are generated, but the rest is real where it can be:
the backgrounds are real photographs from scikit-image's `skimage.data` (each CC0 or public
domain, see BACKGROUNDS), and the camera is simulated from first principles — the printed code is
area-sampled through a 3-D pose (pinhole camera, f = 700 px, like a 60-degree webcam), then lit
unevenly, given specular glare, defocus or motion blur, sensor noise, and MJPEG-like compression.

The corpus was calibrated against zbar and zxing-cpp only (never against Comptoir's own
decoder), so that the difficulty of a category is not tuned to flatter our chain.

Deterministic: every frame draws from its own generator seeded with (SEED, category, index), so
the same versions of segno, numpy, scipy, Pillow and scikit-image give the same bytes.

    pip install segno numpy scipy pillow scikit-image
    python3 tests/data/qr/generate.py            # rewrites tests/data/qr/<category>/ + manifest
"""

import base64
import json
import math
import os
import sys

import numpy as np
import segno
from PIL import Image
from scipy import ndimage
import skimage.data

SEED = 20261125
WIDTH, HEIGHT = 640, 480
FOCAL_PX = 700.0
PER_CATEGORY = 12
OUT_DIR = os.path.dirname(os.path.abspath(__file__))

# skimage.data photographs used as backgrounds, with the licence its docstring states.
BACKGROUNDS = {
    "astronaut": "public domain (NASA)",
    "camera": "CC0 (Lav Varshney)",
    "chelsea": "CC0 (Stefan van der Walt)",
    "coffee": "CC0 (Rachel Michetti)",
    "rocket": "public domain (SpaceX)",
    "coins": "no known copyright restrictions",
    "text": "public domain",
    "grass": "CC0 (CC0Textures)",
    "gravel": "CC0 (CC0Textures)",
    "brick": "CC0 (CC0Textures)",
    "hubble_deep_field": "public domain (NASA)",
    "retina": "CC0",
}

_BG_CACHE = {}


def background_photo(name):
    if name not in _BG_CACHE:
        img = getattr(skimage.data, name)()
        img = np.asarray(img, dtype=np.float64)
        if img.ndim == 3:
            img = img[..., :3] @ np.array([0.299, 0.587, 0.114])
        if img.max() <= 1.0:
            img = img * 255.0
        _BG_CACHE[name] = img
    return _BG_CACHE[name]


def background(rng, names, defocus):
    """A random crop of a real photo, scaled to the frame, optionally out of focus."""
    name = names[rng.integers(len(names))]
    img = background_photo(name)
    h, w = img.shape
    scale = max(HEIGHT / h, WIDTH / w) * rng.uniform(1.0, 1.8)
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    pil = pil.resize((max(WIDTH, int(w * scale)), max(HEIGHT, int(h * scale))), Image.BILINEAR)
    arr = np.asarray(pil, dtype=np.float64)
    y0 = rng.integers(0, arr.shape[0] - HEIGHT + 1)
    x0 = rng.integers(0, arr.shape[1] - WIDTH + 1)
    arr = arr[y0 : y0 + HEIGHT, x0 : x0 + WIDTH]
    if rng.random() < 0.5:
        arr = arr[:, ::-1]
    if defocus > 0:
        arr = ndimage.gaussian_filter(arr, defocus)
    return arr, name


# ---------------------------------------------------------------------------------------------
# Payloads like the ones Comptoir meets at the counter.

BRAND_DOMAINS = [
    "https://id.gs1.org",
    "https://www.maison-durand.fr",
    "https://qr.fromagerie-lebrun.fr",
    "https://dl.atelier-sabots.com",
]


def gtin_check_digit(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def random_gtin13(rng):
    body = "376" + "".join(str(d) for d in rng.integers(0, 10, 9))
    return body + gtin_check_digit(body)


def base64url(rng, nbytes):
    raw = bytes(int(b) for b in rng.integers(0, 256, nbytes))
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def payload(rng, index):
    kind = index % 5
    if kind == 0:
        if index == 0:
            return "https://id.gs1.org/01/09520123456788/10/LOT7?17=271231"
        gtin = "0" + random_gtin13(rng)
        lot = "LOT" + str(rng.integers(1, 9999))
        expiry = f"{rng.integers(26, 30)}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}"
        return f"https://id.gs1.org/01/{gtin}/10/{lot}?17={expiry}"
    if kind == 1:
        domain = BRAND_DOMAINS[1 + rng.integers(len(BRAND_DOMAINS) - 1)]
        gtin = "0" + random_gtin13(rng)
        serial = "SN" + str(rng.integers(10000, 999999))
        return f"{domain}/01/{gtin}/21/{serial}"
    if kind == 2:
        # Loyalty card of the customer's app: 63 bytes (id, issue date, Ed25519 signature
        # truncated for the corpus) -> 84 base64url characters, 90 with the prefix.
        return "CPTL1:" + base64url(rng, 63)
    if kind == 3:
        return "CPTP1:" + base64url(rng, 69)
    return random_gtin13(rng)


# ---------------------------------------------------------------------------------------------
# Geometry: a printed code in 3-D, seen by a pinhole camera.


def rotation(rx, ry, rz):
    cx, sx = math.cos(rx), math.sin(rx)
    cy, sy = math.cos(ry), math.sin(ry)
    cz, sz = math.cos(rz), math.sin(rz)
    rot_x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    rot_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rot_z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rot_z @ rot_y @ rot_x


def homography(src, dst):
    """3x3 H with dst ~ H @ src for four point pairs (direct linear transform)."""
    rows = []
    for (x, y), (u, v) in zip(src, dst):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    _, _, vt = np.linalg.svd(np.array(rows, dtype=np.float64))
    h = vt[-1].reshape(3, 3)
    return h / h[2, 2]


def pose(size_modules, module_px, center, tilt_x, tilt_y, spin):
    """Image corners of a square of `size_modules` whose modules measure `module_px` when seen
    face-on at the frame's centre, tilted by tilt_x/tilt_y and spun by `spin` (radians)."""
    half = size_modules * module_px / 2.0
    square = np.array([[-half, -half, 0], [half, -half, 0], [half, half, 0], [-half, half, 0]])
    pts = square @ rotation(tilt_x, tilt_y, spin).T + np.array([0, 0, FOCAL_PX])
    xs = FOCAL_PX * pts[:, 0] / pts[:, 2] + center[0]
    ys = FOCAL_PX * pts[:, 1] / pts[:, 2] + center[1]
    return np.stack([xs, ys], axis=1)


def render_label(matrix, quiet, margin, corners, ink, paper, supersample=4):
    """Area-samples the label (code + quiet zone + sticker margin) into the frame.

    Returns (coverage, reflectance): coverage in [0, 1] of each pixel by the label, and the mean
    reflectance of the covered part. Exact for a piecewise-constant code: every pixel averages
    supersample^2 points mapped back through the inverse homography.
    """
    n = matrix.shape[0]
    lo, hi = -quiet - margin, n + quiet + margin
    src = [(lo, lo), (hi, lo), (hi, hi), (lo, hi)]
    h_inv = np.linalg.inv(homography(src, corners))
    x0 = max(int(math.floor(corners[:, 0].min())) - 1, 0)
    x1 = min(int(math.ceil(corners[:, 0].max())) + 1, WIDTH)
    y0 = max(int(math.floor(corners[:, 1].min())) - 1, 0)
    y1 = min(int(math.ceil(corners[:, 1].max())) + 1, HEIGHT)
    coverage = np.zeros((HEIGHT, WIDTH))
    reflect = np.full((HEIGHT, WIDTH), paper)
    if x1 <= x0 or y1 <= y0:
        return coverage, reflect
    offsets = (np.arange(supersample) + 0.5) / supersample
    ys, xs = np.mgrid[y0:y1, x0:x1]
    cov_sum = np.zeros(xs.shape)
    ref_sum = np.zeros(xs.shape)
    for oy in offsets:
        for ox in offsets:
            px = xs + ox
            py = ys + oy
            w = h_inv[2, 0] * px + h_inv[2, 1] * py + h_inv[2, 2]
            u = (h_inv[0, 0] * px + h_inv[0, 1] * py + h_inv[0, 2]) / w
            v = (h_inv[1, 0] * px + h_inv[1, 1] * py + h_inv[1, 2]) / w
            inside = (u >= lo) & (u < hi) & (v >= lo) & (v < hi)
            col = np.floor(u).astype(np.int64)
            row = np.floor(v).astype(np.int64)
            in_code = inside & (col >= 0) & (col < n) & (row >= 0) & (row < n)
            dark = np.zeros(xs.shape, dtype=bool)
            dark[in_code] = matrix[row[in_code], col[in_code]]
            cov_sum += inside
            ref_sum += np.where(inside, np.where(dark, ink, paper), 0.0)
    covered = cov_sum > 0
    coverage[y0:y1, x0:x1] = cov_sum / supersample**2
    sub = reflect[y0:y1, x0:x1]
    sub[covered] = ref_sum[covered] / cov_sum[covered]
    return coverage, reflect


def illumination(rng, strength):
    """A smooth light field: a linear gradient times a vignette, mean 1."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
    angle = rng.uniform(0, 2 * math.pi)
    grad = ((xs - WIDTH / 2) * math.cos(angle) + (ys - HEIGHT / 2) * math.sin(angle)) / WIDTH
    r2 = ((xs - WIDTH / 2) / WIDTH) ** 2 + ((ys - HEIGHT / 2) / HEIGHT) ** 2
    field = (1.0 + strength * grad) * (1.0 - 0.35 * r2)
    return field / field.mean()


def motion_blur(img, length, angle):
    size = int(math.ceil(length)) | 1
    kernel = np.zeros((size, size))
    c = size // 2
    for t in np.linspace(-length / 2, length / 2, 4 * size):
        kernel[int(round(c + t * math.sin(angle))), int(round(c + t * math.cos(angle)))] += 1
    return ndimage.convolve(img, kernel / kernel.sum(), mode="nearest")


# ---------------------------------------------------------------------------------------------
# Categories. Each takes (rng, index) and returns a dict of the frame's parameters.

PHOTOS = ["astronaut", "camera", "chelsea", "coffee", "rocket", "coins", "text", "retina"]
TEXTURES = ["grass", "gravel", "brick", "hubble_deep_field", "text", "coins"]


def base_params(rng):
    return {
        "module_px": rng.uniform(2.6, 5.0),
        "tilt": (rng.normal(0, 0.18), rng.normal(0, 0.18)),
        "spin": rng.uniform(-0.5, 0.5),
        "ink": rng.uniform(0.05, 0.12),
        "paper": rng.uniform(0.78, 0.92),
        "quiet": 4,
        "margin": rng.uniform(0.5, 3.0),
        "exposure": rng.uniform(0.9, 1.15),
        "light": rng.uniform(0.0, 0.4),
        "defocus_bg": rng.uniform(1.5, 4.0),
        "blur": rng.uniform(0.5, 0.9),
        "motion": None,
        "noise": rng.uniform(1.5, 3.5),
        "glare": None,
        "jpeg": int(rng.integers(68, 82)),
        "backgrounds": PHOTOS + TEXTURES,
    }


def cat_clean(rng, i):
    return base_params(rng)


def cat_blur(rng, i):
    p = base_params(rng)
    p["module_px"] = rng.uniform(3.5, 6.5)
    if i % 3 == 2:
        p["motion"] = (rng.uniform(5, 11), rng.uniform(0, math.pi))
        p["blur"] = rng.uniform(0.6, 1.0)
    else:
        p["blur"] = rng.uniform(1.6, 2.8)
    return p


def cat_noise(rng, i):
    p = base_params(rng)
    p["module_px"] = rng.uniform(3.0, 5.5)
    p["exposure"] = rng.uniform(0.35, 0.7)  # dim shop corner: gain up, noise up
    p["noise"] = rng.uniform(8, 24)
    p["jpeg"] = int(rng.integers(62, 75))
    return p


def cat_perspective(rng, i):
    p = base_params(rng)
    p["module_px"] = rng.uniform(3.5, 6.0)
    big = rng.uniform(0.65, 1.0) * (1 if rng.random() < 0.5 else -1)
    small = rng.uniform(-0.35, 0.35)
    p["tilt"] = (big, small) if i % 2 == 0 else (small, big)
    p["spin"] = rng.uniform(-math.pi, math.pi)
    return p


def cat_glare(rng, i):
    p = base_params(rng)
    p["module_px"] = rng.uniform(3.5, 6.0)
    p["light"] = rng.uniform(0.5, 0.9)
    p["glare"] = {
        "amplitude": rng.uniform(120, 260),
        "radius": rng.uniform(0.12, 0.3),  # of the code's side
        "offset": (rng.uniform(-0.35, 0.35), rng.uniform(-0.35, 0.35)),
        "elongation": rng.uniform(1.0, 3.0),
        "angle": rng.uniform(0, math.pi),
    }
    return p


def cat_low_contrast(rng, i):
    p = base_params(rng)
    p["module_px"] = rng.uniform(3.0, 5.5)
    p["paper"] = rng.uniform(0.6, 0.85)
    p["ink"] = p["paper"] * rng.uniform(0.62, 0.78)  # faded thermal print, grey on grey
    p["light"] = rng.uniform(0.3, 0.8)
    return p


def cat_inverted(rng, i):
    p = base_params(rng)
    # Dark-mode phone screens and laser-etched labels: light modules on a dark ground.
    p["ink"] = rng.uniform(0.7, 0.9)
    p["paper"] = rng.uniform(0.04, 0.12)
    p["margin"] = rng.uniform(1.0, 4.0)
    return p


def cat_small(rng, i):
    p = base_params(rng)
    p["module_px"] = rng.uniform(1.7, 2.6)
    p["blur"] = rng.uniform(0.4, 0.7)
    return p


def cat_photo(rng, i):
    p = base_params(rng)
    p["module_px"] = rng.uniform(2.8, 5.0)
    p["defocus_bg"] = 0.0  # the whole scene in focus: busy edges everywhere
    p["backgrounds"] = PHOTOS
    p["margin"] = rng.uniform(0.0, 1.0)
    p["quiet"] = 2 if i % 3 == 0 else 4  # labels often print a thin quiet zone
    return p


def cat_none(rng, i):
    p = base_params(rng)
    p["defocus_bg"] = 0.0 if i % 2 == 0 else rng.uniform(0.0, 2.0)
    p["decoy"] = i % 3 == 0  # a QR-like pattern with three finders and random modules
    return p


CATEGORIES = [
    ("clean", cat_clean),
    ("blur", cat_blur),
    ("noise", cat_noise),
    ("perspective", cat_perspective),
    ("glare", cat_glare),
    ("low_contrast", cat_low_contrast),
    ("inverted", cat_inverted),
    ("small", cat_small),
    ("photo", cat_photo),
    ("none", cat_none),
]


def decoy_matrix(rng, n=33):
    m = rng.random((n, n)) < 0.5
    for r0, c0 in [(0, 0), (0, n - 7), (n - 7, 0)]:
        m[r0 : r0 + 7, c0 : c0 + 7] = False
        m[r0 : r0 + 7, c0] = m[r0 : r0 + 7, c0 + 6] = True
        m[r0, c0 : c0 + 7] = m[r0 + 6, c0 : c0 + 7] = True
        m[r0 + 2 : r0 + 5, c0 + 2 : c0 + 5] = True
    return m


def frame(category, builder, index):
    cat_no = [name for name, _ in CATEGORIES].index(category)
    rng = np.random.default_rng([SEED, cat_no, index])
    p = builder(rng, index)
    text = None if category == "none" else payload(rng, index)
    bg, bg_name = background(rng, p["backgrounds"], p["defocus_bg"])
    info = {"background": bg_name}

    matrix = None
    if text is not None:
        error = ["l", "m", "m", "m", "q"][rng.integers(5)]
        qr = segno.make_qr(text, error=error, boost_error=False)
        matrix = np.array(qr.matrix, dtype=bool)
        info.update(version=qr.version, error=qr.error, modules=int(matrix.shape[0]))
    elif p.get("decoy"):
        matrix = decoy_matrix(rng)
        info.update(decoy=True)

    scene = bg * p["exposure"]
    if matrix is not None:
        n = matrix.shape[0]
        side = n + 2 * p["quiet"] + 2 * p["margin"]
        half_extent = side * p["module_px"] / 2
        cx = WIDTH / 2 + rng.uniform(-1, 1) * max(WIDTH / 2 - half_extent - 10, 0) * 0.7
        cy = HEIGHT / 2 + rng.uniform(-1, 1) * max(HEIGHT / 2 - half_extent - 10, 0) * 0.7
        corners = pose(side, p["module_px"], (cx, cy), p["tilt"][0], p["tilt"][1], p["spin"])
        coverage, reflect = render_label(
            matrix, p["quiet"], p["margin"], corners, p["ink"], p["paper"]
        )
        label = reflect * 255.0 * p["exposure"]
        scene = scene * (1 - coverage) + label * coverage
        info.update(module_px=round(p["module_px"], 2), quiet=p["quiet"])
        if p["glare"] is not None:
            g = p["glare"]
            code_side = np.linalg.norm(corners[1] - corners[0])
            gx = cx + g["offset"][0] * code_side
            gy = cy + g["offset"][1] * code_side
            ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH]
            ca, sa = math.cos(g["angle"]), math.sin(g["angle"])
            du, dv = (xs - gx) * ca + (ys - gy) * sa, -(xs - gx) * sa + (ys - gy) * ca
            r = g["radius"] * code_side
            blob = np.exp(-((du / (r * g["elongation"])) ** 2 + (dv / r) ** 2))
            scene = scene + g["amplitude"] * blob
            info.update(glare=round(g["amplitude"]))

    scene = scene * illumination(rng, p["light"])
    if p["motion"] is not None:
        scene = motion_blur(scene, *p["motion"])
        info.update(motion_px=round(p["motion"][0], 1))
    scene = ndimage.gaussian_filter(scene, p["blur"])
    scene = scene + rng.normal(0, p["noise"], scene.shape)
    info.update(blur=round(p["blur"], 2), noise=round(p["noise"], 1), jpeg=p["jpeg"])
    pixels = np.clip(np.round(scene), 0, 255).astype(np.uint8)
    return text, Image.fromarray(pixels, mode="L"), p["jpeg"], info


def write_corrupt(folder):
    """Files that must give a clean error, never a panic."""
    os.makedirs(folder, exist_ok=True)
    src = os.path.join(OUT_DIR, "clean", "clean-00.jpg")
    with open(src, "rb") as f:
        jpeg = f.read()
    img = Image.open(src).crop((0, 0, 160, 120))
    png_path = os.path.join(folder, "_tmp.png")
    img.save(png_path, optimize=False)
    with open(png_path, "rb") as f:
        png = f.read()
    os.remove(png_path)
    files = {
        "empty.png": b"",
        "truncated.jpg": jpeg[: len(jpeg) // 3],
        "truncated.png": png[: len(png) // 2],
        "not-an-image.png": b"Comptoir: this is a text file with an image's name.\n",
        "garbage-after-header.jpg": jpeg[:20] + bytes(range(256)) * 8,
        "bad-crc.png": png[:40] + bytes([png[40] ^ 0xFF]) + png[41:],
    }
    for name, data in files.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    return sorted(files)


def main():
    only = set(sys.argv[1:])
    manifest_path = os.path.join(OUT_DIR, "manifest.json")
    manifest = {"frames": []}
    if only and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
        manifest["frames"] = [e for e in manifest["frames"] if e["category"] not in only]
    for category, builder in CATEGORIES:
        if only and category not in only:
            continue
        folder = os.path.join(OUT_DIR, category)
        os.makedirs(folder, exist_ok=True)
        for old in os.listdir(folder):
            os.remove(os.path.join(folder, old))
        for i in range(PER_CATEGORY):
            text, img, quality, info = frame(category, builder, i)
            name = f"{category}/{category}-{i:02d}.jpg"
            img.save(os.path.join(OUT_DIR, name), quality=quality, optimize=True)
            manifest["frames"].append(
                {"file": name, "category": category, "payload": text, "params": info}
            )
    manifest["frames"].sort(key=lambda e: e["file"])
    if not only or "corrupt" in only:
        manifest["corrupt"] = ["corrupt/" + n for n in write_corrupt(os.path.join(OUT_DIR, "corrupt"))]
    manifest["generator"] = "generate.py"
    manifest["seed"] = SEED
    manifest["backgrounds"] = BACKGROUNDS
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
