"""How fast a bundle is packed, downloaded (loopback HTTP) and checked + unpacked, for an artifacts-sized folder.

Run: ``.venv/bin/python benchmarks/bench_bundle.py [--mb 300] [--files 2000]``. The folder imitates an
artifacts folder: one large float32 ``.npz`` of MFCC-like features (they compress little) plus many small
CSV/JSON files; everything is written under a temporary folder and removed afterwards.
"""

from __future__ import annotations

import argparse
import http.server
import os
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np

from emotion_classifier.bundles.pack import write_bundle
from emotion_classifier.bundles.resolve import CACHE_ENV, resolve_folder


def make_folder(root: Path, mb: int, files: int) -> Path:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    (root / "manifest.json").write_text("{}")
    frames = mb * (1 << 20) // (40 * 4)
    features = (rng.normal(size=(frames, 40)) * 10).astype("float32")
    np.savez(root / "audio_features.npz", features=features, offsets=np.arange(0, frames, 300))
    for i in range(files):
        (root / "rows" / f"{i // 500}").mkdir(parents=True, exist_ok=True)
        (root / "rows" / f"{i // 500}" / f"part{i}.csv").write_text("segment_id,value\n" + f"Sess01_{i},{i}\n" * 40)
    return root


def timed(label: str, size: int, work) -> object:
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {seconds:>7.2f} s  {size / (1 << 20) / seconds:>8.1f} MiB/s")
    return result


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300, help="size of the feature array (default: %(default)s MiB)")
    parser.add_argument("--files", type=int, default=2000, help="small CSV files (default: %(default)s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        os.environ[CACHE_ENV] = str(base / "cache")
        folder = make_folder(base / "artifacts", args.mb, args.files)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"folder: {args.files + 2} files, {size / (1 << 20):.0f} MiB")
        zipped = base / "share" / "artifacts.zip"
        zipped.parent.mkdir()
        timed("emotion bundle (pack + sha256)", size, lambda: write_bundle(folder, "artifacts", zipped, progress=False))
        print(f"zip: {zipped.stat().st_size / (1 << 20):.0f} MiB")
        timed("check + unpack a local zip", size, lambda: resolve_folder(zipped, "artifacts", progress=False))
        timed("second use (cached)", size, lambda: resolve_folder(zipped, "artifacts", progress=False))
        handler = partial(_QuietHandler, directory=str(zipped.parent))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/artifacts.zip"
        timed("download (loopback) + check + unpack", size, lambda: resolve_folder(url, "artifacts", progress=False))
        server.shutdown()


if __name__ == "__main__":
    main()
