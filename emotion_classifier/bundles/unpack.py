"""Opening a bundle safely: every check is made before a byte is unpacked where it could be used.

A bundle comes from someone else (a shared Drive link), so it is treated as hostile until proven
whole: its member names must stay inside the target (no absolute path, no ``..``, no link), its sizes
and member count are limited (a zip bomb is refused from its header, and again while reading), every
file must be listed in its ``bundle.json`` with the size and sha256 it unpacks to, and no file may be of
a type that can carry code. It is unpacked into a temporary folder next to the target and renamed
into place only when all of that held, so a refused or interrupted bundle leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tqdm.auto import tqdm

from emotion_classifier.bundles.content import (
    ARRAY_SUFFIXES,
    BUNDLE_FILE,
    FORMAT,
    FORMAT_VERSION,
    KINDS,
    refuse_pickled_arrays,
    refuse_suffix,
)
from emotion_classifier.errors import InputError

CHUNK = 1 << 20
GIB = 1 << 30
MAX_MANIFEST_BYTES = 64 << 20


@dataclass(frozen=True)
class BundleLimits:
    """What one bundle may unpack to. The defaults hold a full KEMDy19 + KEMDy20 artifacts folder with
    pretrained-encoder vectors several times over; raise them with arguments, not by editing here.

    ``max_ratio`` applies to members larger than ``ratio_floor`` bytes: deflate's best is about 1030 to 1,
    so a member near it is a run of one byte (a bomb), while a few MiB of zeros (an empty feature block)
    are ordinary. ``max_bytes`` is the guard that holds whatever the ratio.
    """

    max_bytes: int = 64 * GIB
    max_members: int = 200_000
    max_ratio: float = 1000.0
    ratio_floor: int = 16 << 20


DEFAULT_LIMITS = BundleLimits()


class WrongBundleKind(InputError):
    """A whole bundle, but of another kind than the option asked for (e.g. models as ``--artifacts``)."""


def _size(n: int) -> str:
    """A size as people write it: 64 GiB, 1.5 MiB, 10 bytes."""
    for unit, factor in (("GiB", GIB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n // factor} {unit}" if n % factor == 0 else f"{n / factor:.1f} {unit}"
    return f"{n} bytes"


def _fail(bundle: Path, message: str) -> InputError:
    return InputError(f"refused bundle: {message}", bundle)


def _safe_name(name: str, bundle: Path) -> PurePosixPath:
    """A member name as a relative path that stays inside the target folder."""
    if "\\" in name or "\x00" in name:
        raise _fail(bundle, f"member {name!r} has a backslash or NUL in its name")
    path = PurePosixPath(name)
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        raise _fail(bundle, f"member {name!r} is an absolute path")
    if any(part in ("..", ".") for part in path.parts) or not path.parts:
        raise _fail(bundle, f"member {name!r} points outside the bundle's folder")
    if str(path) != name.removesuffix("/") or "/./" in f"/{name}":  # `a//b`, `a/./b`: one file, two spellings
        raise _fail(bundle, f"member {name!r} is not a plain relative path")
    return path


def read_bundle_manifest(bundle: str | Path, limits: BundleLimits = DEFAULT_LIMITS) -> dict:
    """Check a bundle's zip directory and ``bundle.json`` against each other (nothing unpacked).

    Returns ``bundle.json`` with the zip members checked: names safe, no links, within ``limits``,
    every file listed with its unpacked size and no unlisted file, types allowed.
    """
    bundle = Path(bundle)
    try:
        with zipfile.ZipFile(bundle) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_members:
                raise _fail(bundle, f"{len(infos)} members, more than the limit of {limits.max_members}")
            try:
                if archive.getinfo(BUNDLE_FILE).file_size > MAX_MANIFEST_BYTES:
                    raise _fail(bundle, f"{BUNDLE_FILE} is larger than {_size(MAX_MANIFEST_BYTES)}")
                manifest = json.loads(archive.read(BUNDLE_FILE).decode("utf-8"))
            except KeyError:
                raise _fail(bundle, f"no {BUNDLE_FILE} in it (not made by `emotion bundle`)") from None
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise _fail(bundle, f"{BUNDLE_FILE} is not valid JSON ({exc})") from None
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise InputError("bundle file not found", bundle) from None
        raise _fail(bundle, f"not a whole zip file, truncated or corrupt ({exc}); download or copy it again") from None
    _check_manifest(manifest, bundle)
    root = manifest["root"]
    listed = {entry["path"]: entry for entry in manifest["files"]}
    total = 0
    for info in infos:
        name = _safe_name(info.filename, bundle)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _fail(bundle, f"member {info.filename!r} is a symbolic link")
        if info.is_dir() or info.filename == BUNDLE_FILE:
            continue
        if name.parts[0] != root or len(name.parts) < 2:
            raise _fail(bundle, f"member {info.filename!r} is outside its folder {root}/")
        relative = PurePosixPath(*name.parts[1:]).as_posix()
        entry = listed.pop(relative, None)
        if entry is None:
            raise _fail(bundle, f"member {info.filename!r} is not listed in {BUNDLE_FILE}")
        refuse_suffix(relative, bundle)
        if info.file_size != entry["size"]:
            raise _fail(bundle, f"{relative}: {info.file_size} bytes in the zip, {entry['size']} in {BUNDLE_FILE}")
        total += info.file_size
        if total > limits.max_bytes:
            raise _fail(bundle, f"unpacks to more than the limit of {_size(limits.max_bytes)}")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise _fail(bundle, f"{relative}: compressed {info.file_size / max(info.compress_size, 1):.0f} to 1, "
                                f"more than the limit of {limits.max_ratio:g} (a zip bomb?)")
    if listed:
        missing = sorted(listed)
        raise _fail(bundle, f"{len(missing)} file(s) listed in {BUNDLE_FILE} are missing from the zip: "
                            f"{', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
    return manifest


def _check_manifest(manifest: object, bundle: Path) -> None:
    """``bundle.json``'s shape: our format, a known kind, a plain folder name, a list of files."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _fail(bundle, f"{BUNDLE_FILE} is not an emotion_classifier bundle description")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _fail(bundle, f"{BUNDLE_FILE} has format version {manifest.get('format_version')!r}; this package "
                            f"reads {FORMAT_VERSION} (update emotion_classifier)")
    if manifest.get("kind") not in KINDS:
        raise _fail(bundle, f"{BUNDLE_FILE} names an unknown kind {manifest.get('kind')!r}")
    root = manifest.get("root")
    if not isinstance(root, str) or not root or root in (".", "..") or "/" in root or "\\" in root:
        raise _fail(bundle, f"{BUNDLE_FILE} names an unsafe folder {root!r}")
    files = manifest.get("files")
    good = isinstance(files, list) and all(
        isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("size"), int)
        and isinstance(e.get("sha256"), str) for e in files)  # fmt: skip
    if not good or len({e["path"] for e in files}) != len(files):
        raise _fail(bundle, f"{BUNDLE_FILE}: its file list is malformed")


def check_bundle_kind(manifest: dict, kind: str | None, where: str | Path) -> None:
    """Refuse a bundle of another kind than ``kind`` (e.g. models given as ``--artifacts``)."""
    if kind is not None and manifest["kind"] != kind:
        raise WrongBundleKind(f"this bundle holds {manifest['kind']}, not {kind} ({KINDS[kind].help})", where)


def _remove_abandoned(target: Path) -> None:
    """Remove the temporary folders of unpacks of ``target`` whose process is gone (a SIGKILL, a Colab
    restart): the ``finally`` that removes them never ran."""
    for folder in target.parent.glob(f".{target.name}.*.unpacking"):
        pid = folder.name.removeprefix(f".{target.name}.").removesuffix(".unpacking")
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive under another user, or no signals here: leave it
            pass


def unpack_bundle(bundle: str | Path, target: str | Path, *, kind: str | None = None,
                  limits: BundleLimits = DEFAULT_LIMITS, progress: bool = True) -> Path:
    """Unpack ``bundle`` so that ``target/bundle.json`` and ``target/ROOT/...`` appear at once; returns
    ``target/ROOT``, the packed folder. ``kind``: refuse a bundle of another kind (e.g. models given
    as ``--artifacts``).

    ``target`` must not exist. Every member is hashed while it is written into a temporary sibling of
    ``target``; a size or sha256 that differs from ``bundle.json``, a damaged member, or an object
    array removes the temporary folder and raises one `InputError` line.
    """
    bundle, target = Path(bundle), Path(target)
    manifest = read_bundle_manifest(bundle, limits)
    check_bundle_kind(manifest, kind, bundle)
    if target.exists():
        raise InputError("already exists; will not unpack a bundle over it", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.unpacking")
    shutil.rmtree(temporary, ignore_errors=True)
    root = manifest["root"]
    total = sum(entry["size"] for entry in manifest["files"])
    free = shutil.disk_usage(target.parent).free
    if free < total:  # found now, not as a full disk half way (a Colab disk is ~100 GB, shared with Drive's cache)
        raise InputError(f"not enough disk space to unpack {bundle.name}: it needs {_size(total)}, "
                         f"{_size(free)} free (set $EMOTION_CACHE to a larger disk)", target.parent)
    try:
        with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=f"unpack {root}",
                  disable=not progress or total < (16 << 20)) as bar, zipfile.ZipFile(bundle) as archive:
            for entry in manifest["files"]:
                destination = temporary / root / entry["path"]
                destination.parent.mkdir(parents=True, exist_ok=True)
                digest, size = hashlib.sha256(), 0
                with archive.open(f"{root}/{entry['path']}") as src, open(destination, "wb") as dst:
                    while block := src.read(CHUNK):
                        size += len(block)
                        if size > entry["size"]:
                            raise _fail(bundle, f"{entry['path']}: unpacks to more than its listed "
                                                f"{entry['size']} bytes")
                        digest.update(block)
                        dst.write(block)
                        bar.update(len(block))
                if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                    raise _fail(bundle, f"{entry['path']}: its content does not match the sha256 in {BUNDLE_FILE} "
                                        "(altered or damaged)")
                if destination.suffix.lower() in ARRAY_SUFFIXES:
                    refuse_pickled_arrays(destination, entry["path"], bundle)
            (temporary / root).mkdir(parents=True, exist_ok=True)  # an empty folder still unpacks
            (temporary / BUNDLE_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                                 encoding="utf-8")
        os.replace(temporary, target)
    except (zipfile.BadZipFile, EOFError, zlib.error, KeyError) as exc:
        raise _fail(bundle, f"damaged member ({exc}); download or copy it again") from None
    except OSError as exc:
        raise InputError(f"cannot unpack the bundle here ({exc.strerror or exc})", target) from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target / root
