"""``--artifacts`` / ``--models`` given as a folder, a bundle ``.zip`` or an ``https://`` link: one folder.

A bundle is unpacked once into a cache folder (``cache`` argument, else ``$EMOTION_CACHE``, else
``~/.cache/emotion_classifier``), keyed by its URL, or by the zip's path, size and modification time; a
second use finds it there and neither downloads nor unpacks anything. The downloaded zip is removed
once unpacked: the unpacked folder is the cache, and a Colab disk has no room for both.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from emotion_classifier.bundles.content import BUNDLE_FILE
from emotion_classifier.bundles.download import download
from emotion_classifier.bundles.pack import file_sha256
from emotion_classifier.bundles.unpack import (
    DEFAULT_LIMITS,
    BundleLimits,
    WrongBundleKind,
    check_bundle_kind,
    read_bundle_manifest,
    unpack_bundle,
)
from emotion_classifier.errors import InputError
from emotion_classifier.files import check_writable, stable_hash

CACHE_ENV = "EMOTION_CACHE"


def cache_root(cache: str | Path | None = None) -> Path:
    """Where bundles are downloaded and unpacked: ``cache``, ``$EMOTION_CACHE``, ``~/.cache/emotion_classifier``."""
    chosen = cache or os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "emotion_classifier"
    return Path(chosen).expanduser()


def is_url(ref: str | Path) -> bool:
    """``http(s)://...``; also the ``https:/host`` a `Path` makes of a URL (a settings file's path field)."""
    return re.match(r"^https?:/", str(ref), re.IGNORECASE) is not None


def is_bundle(ref: str | Path | None) -> bool:
    """Whether ``ref`` names a bundle (a URL or a ``.zip`` file) rather than a folder."""
    return ref is not None and (is_url(ref) or str(ref).lower().endswith(".zip"))


def _url(ref: str | Path) -> str:
    return re.sub(r"^(https?):/+", r"\1://", str(ref), flags=re.IGNORECASE)


def _name(stem: str, key: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:60].strip("._") or "bundle"
    return f"{readable}-{key}"


def _cached(target: Path, kind: str | None) -> Path:
    manifest = json.loads((target / BUNDLE_FILE).read_text(encoding="utf-8"))
    check_bundle_kind(manifest, kind, target)
    return target / manifest["root"]


def _unpack(bundle: Path, target: Path, kind: str | None, limits: BundleLimits, progress: bool) -> Path:
    """`unpack_bundle`, or the copy another process (a second notebook) finished meanwhile."""
    try:
        return unpack_bundle(bundle, target, kind=kind, limits=limits, progress=progress)
    except InputError:
        if (target / BUNDLE_FILE).is_file():
            return _cached(target, kind)
        raise


def _pinned_sha256(url: str) -> str | None:
    """The sha256 a link pins with ``#sha256=HEX`` (what ``emotion bundle`` prints), else None."""
    fragment = url.partition("#")[2]
    if not fragment:
        return None
    match = re.fullmatch(r"sha256=([0-9a-fA-F]{64})", fragment)
    if match is None:
        raise InputError("unknown #fragment: a link may end with #sha256=<the 64 hex digits emotion bundle printed>",
                         url)
    return match.group(1).lower()


def resolve_folder(ref: str | Path, kind: str | None = None, *, cache: str | Path | None = None,
                   progress: bool = True, limits: BundleLimits = DEFAULT_LIMITS) -> Path:
    """The folder ``ref`` names: itself when it is a folder path; for a bundle, its unpacked copy in the
    cache (downloaded first for a URL). ``kind`` (``artifacts``, ``models``, ``run``) refuses a bundle of
    another kind. A link ending in ``#sha256=HEX`` must download to exactly that zip: the sums inside a
    bundle prove it whole, a pinned link also proves it is the one the sharer made. Every refusal is one
    `InputError` line naming the file or URL.
    """
    if not is_bundle(ref) or (not is_url(ref) and Path(ref).is_dir()):
        return Path(ref)
    root = cache_root(cache)
    if is_url(ref):
        url = _url(ref)
        pin = _pinned_sha256(url)
        stem = Path(url.partition("#")[0].split("?", 1)[0].rstrip("/")).name.removesuffix(".zip")
        name = _name(stem, hashlib.sha256(url.encode("utf-8")).hexdigest()[:16])
    else:
        path = Path(ref).expanduser()
        if not path.is_file():
            raise InputError("bundle file not found", path)
        st = path.stat()
        name = _name(path.stem, stable_hash([str(path.resolve()), st.st_size, st.st_mtime_ns])[:16])
    target = root / "bundles" / name
    if (target / BUNDLE_FILE).is_file():
        return _cached(target, kind)
    check_writable(root, f"bundle cache (${CACHE_ENV})")
    if not is_url(ref):
        return _unpack(path, target, kind, limits, progress)
    archive = root / "downloads" / f"{name}.zip"
    if not archive.is_file():
        download(url.partition("#")[0], archive, progress=progress)
    try:
        if pin is not None and (found := file_sha256(archive)) != pin:
            raise InputError(f"refused bundle: its sha256 is {found}, the link pins {pin} (altered or damaged)")
        check_bundle_kind(read_bundle_manifest(archive, limits), kind, url)
        folder = _unpack(archive, target, kind, limits, progress)
    except WrongBundleKind:
        raise
    except InputError as exc:
        archive.unlink()  # a damaged or refused download: the next run fetches it again
        message = str(exc).removeprefix(f"{archive}: ")
        raise InputError(message, url) from None
    archive.unlink()
    return folder
