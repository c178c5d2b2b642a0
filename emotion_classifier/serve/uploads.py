"""One multipart upload, streamed into a folder: files under a byte cap enforced while reading.

Starlette's own form parser spools large parts to the system temporary folder and only then lets the
caller look at sizes; here every part is written straight into the request's own folder (removed with
it) and the request is refused the moment it passes the cap, so a 2 GB upload costs 20 MB at most.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header

FILE_FIELDS: tuple[str, ...] = ("wav", "eda", "temp", "ibi")
"""The recording's files a request may carry (the fields of `EmotionClassifier.predict` read from files)."""
TEXT_FIELDS: tuple[str, ...] = ("text", "segment_id")
MAX_TEXT_BYTES = 64 * 1024
"""A transcript longer than this is not a segment's transcript (the real corpora's longest is a few hundred bytes)."""


class UploadError(Exception):
    """A request the service refuses: ``status`` is the HTTP status, ``str()`` the one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Upload:
    """What a request carried: saved files by field (with the name the client gave) and text fields."""

    files: dict[str, Path] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    text: dict[str, str] = field(default_factory=dict)

    def public_message(self, message: str) -> str:
        """``message`` with each saved file's temporary path replaced by the name the client sent."""
        for name, path in self.files.items():
            message = message.replace(str(path), self.names.get(name) or name)
        return message


def _check_field(name: str, seen: set[str]) -> None:
    if name not in FILE_FIELDS + TEXT_FIELDS:
        raise UploadError(422, f"unknown field {name!r} (expected {', '.join(FILE_FIELDS + TEXT_FIELDS)})")
    if name in seen:
        raise UploadError(422, f"field {name!r} given twice")
    seen.add(name)


async def _read_capped(chunks: AsyncIterator[bytes], max_bytes: int) -> AsyncIterator[bytes]:
    """``chunks`` until more than ``max_bytes`` have arrived, then a 413 `UploadError`."""
    received = 0
    async for chunk in chunks:
        received += len(chunk)
        if received > max_bytes:
            raise UploadError(413, f"request larger than {max_bytes / 2**20:g} MB")
        yield chunk


async def _save_urlencoded(chunks: AsyncIterator[bytes], max_bytes: int) -> Upload:
    """A url-encoded form: its text fields (files need multipart)."""
    body = b"".join([chunk async for chunk in _read_capped(chunks, min(max_bytes, 4 * MAX_TEXT_BYTES))])
    upload, seen = Upload(), set()
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body), errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise UploadError(422, "malformed url-encoded form (send UTF-8 text, or multipart/form-data)") from None
    for name, value in pairs:
        _check_field(name, seen)
        if name in FILE_FIELDS:
            raise UploadError(422, f"field {name!r} is a file: send multipart/form-data")
        if len(value.encode("utf-8")) > MAX_TEXT_BYTES:
            raise UploadError(422, f"field {name!r} is longer than {MAX_TEXT_BYTES // 1024} KB")
        upload.text[name] = value
    return upload


def _safe_name(filename: str, field_name: str) -> str:
    """The client's file name reduced to its last part and safe characters (bio readers may take the segment id
    from the wav's name, so it is kept when it can be)."""
    name = re.sub(r"[^0-9A-Za-z._-]", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".")
    return name[:120] or f"{field_name}.bin"


async def save_multipart(chunks: AsyncIterator[bytes], content_type: str, folder: Path, max_bytes: int) -> Upload:
    """Parse a ``multipart/form-data`` body from ``chunks`` into ``folder`` (one sub-folder per file field).

    Raises `UploadError`: 413 as soon as more than ``max_bytes`` arrived, 415 for another content type,
    422 for an unknown or repeated field, a text field over `MAX_TEXT_BYTES` or not UTF-8.
    """
    kind, options = parse_options_header(content_type)
    if kind == b"application/x-www-form-urlencoded":  # `curl -d text=...`: text fields only
        return await _save_urlencoded(chunks, max_bytes)
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise UploadError(415, "send multipart/form-data (fields wav, text, eda, temp, ibi)")
    upload = Upload()
    state: dict = {"headers": {}, "field": b"", "value": b"", "out": None, "name": "", "buffer": None}
    seen: set[str] = set()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["headers"].get("content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        _check_field(name, seen)
        state["name"] = name
        if name in TEXT_FIELDS:
            state["buffer"] = bytearray()
            return
        filename = disposition.get(b"filename", b"").decode("utf-8", "replace")
        path = folder / name / _safe_name(filename, name)
        path.parent.mkdir()
        upload.files[name], upload.names[name] = path, filename
        state["out"] = path.open("wb")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["out"] is not None:
            state["out"].write(data[start:end])
            return
        state["buffer"] += data[start:end]
        if len(state["buffer"]) > MAX_TEXT_BYTES:
            raise UploadError(422, f"field {state['name']!r} is longer than {MAX_TEXT_BYTES // 1024} KB")

    def on_part_end() -> None:
        name = state["name"]
        if state["out"] is not None:
            state["out"].close()
            state["out"] = None
            path = upload.files[name]
            if not upload.names[name] and path.stat().st_size == 0:  # an empty file input of a browser form
                del upload.files[name], upload.names[name]
        else:
            try:
                upload.text[name] = bytes(state["buffer"]).decode("utf-8")
            except UnicodeDecodeError:
                raise UploadError(422, f"field {name!r} is not UTF-8 text") from None
        state["headers"], state["buffer"] = {}, None

    callbacks = {"on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
                 "on_headers_finished": on_headers_finished, "on_part_data": on_part_data, "on_part_end": on_part_end}
    parser = MultipartParser(options[b"boundary"], callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in _read_capped(chunks, max_bytes):
            parser.write(chunk)
        parser.finalize()
    except UploadError:
        raise
    except Exception as exc:  # python-multipart's parse errors: a truncated or malformed body
        raise UploadError(422, f"malformed multipart body ({exc})") from None
    finally:
        if state["out"] is not None:
            state["out"].close()
    return upload
