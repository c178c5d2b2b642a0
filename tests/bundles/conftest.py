"""Folders of each bundle kind (small, generated), a forger of hostile zips, and a loopback HTTP server."""

import hashlib
import http.server
import json
import re
import socket
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from emotion_classifier.bundles.content import BUNDLE_FILE, FORMAT, FORMAT_VERSION
from emotion_classifier.bundles.resolve import CACHE_ENV


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    """Every test's bundle cache is its own (never the user's ~/.cache)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def _write_files(folder: Path, files: dict) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            np.savez(path, **content)
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return folder


@pytest.fixture
def make_folder(tmp_path):
    """``make_folder(kind)``: a small folder of that kind, with a subfolder, Korean text, an npz of
    numbers, bytes that stand for a model, and prepare's hidden ``.cache/`` (to be left out)."""

    def make(kind: str, name: str | None = None) -> Path:
        rng = np.random.default_rng(0)
        common = {
            "notes.md": "# 메모\n",
            "sub/table.csv": "segment_id,text\nSess01_impro01_F001,안녕하세요\n",
            "arrays.npz": {"features": rng.normal(size=(50, 4)).astype("float32"), "ids": np.array(["a", "b"])},
            ".cache/chunk0.npz": {"x": np.zeros(3)},
        }
        files = {
            "artifacts": {"manifest.json": json.dumps({"stages": {}}), "segments.csv": "segment_id\nx\n"},
            "models": {"text.json": "{}", "text.keras": rng.bytes(3000)},
            "run": {"pipeline.json": "{}", "report.html": "<p>report</p>", "text/oof_predictions.csv": "a\n1\n"},
        }[kind]
        return _write_files(tmp_path / (name or kind), {**common, **files})

    return make


def forge(path: Path, members: dict, *, kind: str = "artifacts", root: str = "artifacts", listed: dict | None = None,
          manifest: dict | None = None, drop_manifest: bool = False) -> Path:
    """A zip of ``members`` (name -> bytes, or a ZipInfo-ready ``(ZipInfo, bytes)``) with a correct
    ``bundle.json`` for the members under ``root/``, unless ``listed`` (path -> bytes) or ``manifest``
    replace what it says, or ``drop_manifest`` leaves it out."""
    contents = {n: (m[1] if isinstance(m, tuple) else m) for n, m in members.items()}
    contents = {n: c.encode("utf-8") if isinstance(c, str) else c for n, c in contents.items()}
    described = listed if listed is not None else {
        n.removeprefix(f"{root}/"): c for n, c in contents.items() if n.startswith(f"{root}/")}
    entries = [{"path": p, "size": len(c), "sha256": hashlib.sha256(c).hexdigest()} for p, c in described.items()]
    data = manifest or {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "root": root,
                        "files": entries, "left_out": []}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, member in members.items():
            if isinstance(member, tuple):
                archive.writestr(*member)
            else:
                archive.writestr(name, member)
        if not drop_manifest:
            archive.writestr(BUNDLE_FILE, json.dumps(data))
    return path


@pytest.fixture
def forger():
    return forge


def same_tree(a: Path, b: Path) -> bool:
    """Byte-identical folders, hidden entries aside (a bundle leaves them out)."""

    def files(root: Path) -> dict:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}

    return files(a) == files(b)


@pytest.fixture
def tree_equal():
    return same_tree


class Server:
    """A loopback HTTP server of ``files`` (path -> bytes) honouring ``Range``; ``cut`` (path -> bytes)
    makes the next answer for that path send only that many bytes of the body and drop the connection;
    ``pages`` (path -> html) answers a web page. Every request is logged as (path, Range header)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut: dict[str, int] = {}
        self.pages: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Range")))
                path = self.path.split("?", 1)[0]
                if self.path in server.pages or path in server.pages:
                    body = server.pages.get(self.path, server.pages.get(path)).encode("utf-8")
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if path not in server.files:
                    self.send_error(404)
                    return
                data, start = server.files[path], 0
                match = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
                if match:
                    start = int(match.group(1))
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                if path in server.cut:
                    body = body[: server.cut.pop(path)]
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server():
    running = Server()
    running.thread.start()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()
