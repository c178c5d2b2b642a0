"""Which corpus an artifacts folder holds, told by file content rather than by path.

A corpus on Google Drive is mounted at a different path by every account and shared drive, and
copied corpora lose their modification times, so neither path nor mtime says "same corpus". The
annotation files do: their SHA-256 digests are the corpus's fingerprint, recorded in the manifest
(`corpus_identity`) and checked before `prepare` writes into a folder (`check_output_folder`), so
artifacts made from one corpus are never silently replaced by those of another (the synthetic
sample, a different copy) unless asked (``force``).

The same digests key the feature caches (`ContentDigests`): a wav is identified by its path below
the corpus root and its content, so a moved or re-mounted corpus reuses every cached feature. A
digest is computed once: a file whose relative path, size and mtime equal the previous manifest's
record keeps the recorded digest without being read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from emotion_classifier.datasets.layout import annotation_files, detect_corpus
from emotion_classifier.errors import InputError
from emotion_classifier.features.artifacts import MANIFEST, SEGMENTS
from emotion_classifier.files import fingerprint, read_json, stable_hash

CACHE_DIR = ".cache"
PROBE_PREFIX = ".write-probe-"
"""`files.check_writable`'s probe files: a folder holding only those is empty."""


def file_digest(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes (None when it does not exist)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


class ContentDigests:
    """Content digests of the files below ``root``, each read at most once per run and not at all when
    the previous manifest's ``inputs`` recorded the same relative path, size and mtime."""

    def __init__(self, root: str | Path, previous_inputs: dict[str, dict] | None = None):
        self.root = Path(root)
        self._previous = previous_inputs or {}
        self._found: dict[str, dict] = {}
        self._relative: dict[str | Path, str] = {}

    def relative(self, path: str | Path) -> str:
        """The path below the corpus root (what stays the same when the corpus moves); others as given.
        Remembered: a full corpus's 10,000 wavs are asked about six times each per run (0.7 s of pathlib)."""
        if path not in self._relative:
            p = Path(path)
            self._relative[path] = str(p.relative_to(self.root)) if p.is_relative_to(self.root) else str(p)
        return self._relative[path]

    def entry(self, path: str | Path) -> dict:
        """``{size, mtime_ns, sha256}`` of a file (all None when it does not exist)."""
        rel = self.relative(path)
        if rel not in self._found:
            self._found[rel] = self._new_entry(rel, path)
        return self._found[rel]

    def _new_entry(self, rel: str, path: str | Path) -> dict:
        found = fingerprint(path)
        old = self._previous.get(rel) or {}
        same = found["size"] is not None and all(old.get(k) == found[k] for k in ("size", "mtime_ns"))
        digest = old["sha256"] if same and old.get("sha256") else None
        return {**found, "sha256": digest or (file_digest(path) if found["size"] is not None else None)}

    def prefetch(self, paths: Iterable[str | Path], threads: int | None = None) -> None:
        """Find the entries of many files at once, on ``threads`` threads (default: one per core): reading
        and hashing release the GIL, and a full corpus's 2 GB of wavs took 3 s of one core in this process
        before the audio stage's first chunk could start."""
        todo = {rel: p for p in paths if (rel := self.relative(p)) not in self._found}
        with ThreadPoolExecutor(threads or os.cpu_count() or 1) as pool:
            for rel, found in zip(todo, pool.map(self._new_entry, todo, todo.values()), strict=True):
                self._found[rel] = found

    def adopt(self, found: dict[str, dict]) -> None:
        """Take entries found elsewhere (`BackgroundDigests`), keyed by relative path, for files not yet found."""
        for rel, entry in found.items():
            self._found.setdefault(rel, entry)

    def found(self) -> dict[str, dict]:
        """Every entry found so far, keyed by relative path."""
        return dict(self._found)

    def key(self, path: str | Path) -> list:
        """What a cache key holds for a file: its relative path and its content digest."""
        return [self.relative(path), self.entry(path)["sha256"]]

    def inputs(self, paths: list[str]) -> dict[str, dict]:
        """The manifest's ``inputs``: every path's entry, keyed by its relative path."""
        return {self.relative(p): self.entry(p) for p in sorted(set(paths))}


class BackgroundDigests:
    """The corpus's wav and transcript digests, computed in a helper process (`digest_helper`) while this
    one reads the annotation files (`prepare`).

    A cold full-size corpus's 2 GB of wavs took 2.3 s of hashing before the audio stage could start, with
    the second core idle while the annotations were parsed. Threads here made it worse: every 256 KB read
    handed the GIL back and forth with the parsing thread (7.5 s instead of 4.1 s for `open_corpus`). The
    entries are those `ContentDigests` would find (the previous manifest's digests are kept for unchanged
    files), so using them changes nothing but time; when the helper fails, `found` gives nothing and the
    stages read the files themselves.
    """

    def __init__(self, root: str | Path, manifest: str | Path | None, enabled: bool = True):
        command = [sys.executable, "-m", "emotion_classifier.features.digest_helper", str(root)]
        command += [] if manifest is None else [str(manifest)]
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL) if enabled else None  # fmt: skip

    def found(self) -> dict[str, dict]:
        """The helper's entries (waiting for it), or none when it is disabled or failed."""
        if self._process is None:
            return {}
        try:
            output, _ = self._process.communicate()
            return json.loads(output) if self._process.returncode == 0 else {}
        except ValueError:  # cut short: only time is lost, the stages find what is missing themselves
            return {}
        finally:
            self.close()

    def close(self) -> None:
        """End the helper at once (a run that failed early does not wait for its reading)."""
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
            self._process.stdout.close()
            self._process = None

    def __enter__(self) -> BackgroundDigests:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def corpus_identity(data: str | Path) -> dict:
    """``{corpus, annotations: {file name: sha256}, fingerprint, synthetic}`` of the corpus at ``data``.

    ``synthetic``: the generator's marker file is at the corpus root; kept in the manifest so a report
    written from the artifacts alone (corpus gone) still warns that the data was synthetic.
    """
    corpus = detect_corpus(data)
    annotations = {p.name: file_digest(p) for p in annotation_files(data)[corpus]}
    synthetic = any("synthetic" in p.name.lower() for p in Path(data).iterdir() if p.is_file())
    return {"corpus": corpus, "annotations": annotations, "fingerprint": stable_hash(annotations),
            "synthetic": synthetic}  # fmt: skip


def same_corpus(manifest: dict, identity: dict, data: str | Path) -> bool:
    """Whether artifacts described by ``manifest`` were made from the corpus ``identity`` describes.

    The same corpus, edited (a session added, one annotation file corrected), still shares annotation
    files byte for byte with the one the artifacts came from, or is still in the same folder (a small
    corpus whose one annotation file was edited); another corpus (the synthetic sample, the other KEMDy
    release) shares none. A manifest written before fingerprints were recorded is matched by its corpus
    root.
    """
    recorded = manifest.get("corpus_identity")
    if not recorded:
        return manifest.get("root") == str(Path(data).resolve())
    if recorded.get("fingerprint") == identity["fingerprint"]:
        return True
    shared = set(recorded.get("annotations", {}).items()) & set(identity["annotations"].items())
    same_folder = manifest.get("root") == str(Path(data).resolve())
    return recorded.get("corpus") == identity["corpus"] and (bool(shared) or same_folder)


def _describe(manifest: dict) -> str:
    recorded = manifest.get("corpus_identity") or {}
    fingerprint_text = f", fingerprint {recorded['fingerprint'][:12]}" if recorded.get("fingerprint") else ""
    return f"{manifest.get('corpus', '?')} from {manifest.get('root', '?')}{fingerprint_text}"


def _user_entries(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if not p.name.startswith(PROBE_PREFIX))


def check_output_folder(data: str | Path, out: str | Path, *, force: bool = False) -> dict | None:
    """Refuse (one-line `InputError`) to prepare ``data`` into ``out`` when ``out`` holds finished
    artifacts of another corpus, or is not an artifacts folder at all (files, no manifest); returns the
    corpus identity of ``data`` (None when ``data`` is not a corpus: `open_corpus` says why later).

    ``force`` prepares anyway: another corpus's artifacts are replaced, unrelated files are left alone.
    An unfinished run (``.cache/`` or ``segments.csv`` without a manifest) is an artifacts folder: a
    rerun resumes it.
    """
    try:
        identity = corpus_identity(data)
    except InputError:
        return None
    out = Path(out)
    if force or not out.is_dir():
        return identity
    if (out / MANIFEST).exists():
        try:
            manifest = read_json(out / MANIFEST)
        except InputError:
            manifest = {}
        if not same_corpus(manifest, identity, data):
            raise InputError(
                f"holds the artifacts of another corpus ({_describe(manifest)}), not of --data {data} "
                f"({identity['corpus']}, fingerprint {identity['fingerprint'][:12]}); give another --out, or "
                "add --force (prepare(..., force=True)) to replace them",
                out / MANIFEST,
            )
        return identity
    entries = _user_entries(out)
    if entries and CACHE_DIR not in entries and SEGMENTS not in entries:
        raise InputError(
            f"not an artifacts folder (no {MANIFEST}; it holds {len(entries)} other entries, e.g. {entries[0]}); "
            f"give an empty or new --out for --data {data}, or add --force (prepare(..., force=True)) to "
            "prepare into it anyway",
            out,
        )
    return identity
