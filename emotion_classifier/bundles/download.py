"""Fetching a bundle from an ``https://`` link (a Google Drive share link included): resumable, with a bar.

Colab sessions drop and Drive links are slow, so a download goes to ``NAME.part`` and continues from
its size with an HTTP ``Range`` request, both after a dropped connection (a few retries, here) and
when the command is run again; the file is renamed to ``NAME`` only once it is whole. What arrives is
not trusted: `bundles.unpack` checks it against the sha256 sums inside it before anything is used.
Standard library only (urllib), so nothing is added to the package's dependencies.
"""

from __future__ import annotations

import http.client
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit
from urllib.request import Request, urlopen

from tqdm.auto import tqdm

from emotion_classifier.errors import InputError

CHUNK = 1 << 20
MAX_PAGE_BYTES = 2 << 20  # a confirm page is a few kB; a bigger web page is not one
DRIVE_DOWNLOAD = "https://drive.usercontent.google.com/download"


def drive_file_id(url: str) -> str | None:
    """The file id of a Google Drive link (``/file/d/ID/view``, ``open?id=ID``, ``uc?id=ID``), else None."""
    parts = urlsplit(url)
    if parts.hostname not in ("drive.google.com", "docs.google.com", "drive.usercontent.google.com"):
        return None
    if "/folders/" in parts.path:
        raise InputError("a Drive folder link: share the bundle file itself (right-click the .zip, Share, "
                         "Copy link)", url)
    match = re.search(r"/file/d/([A-Za-z0-9_-]+)", parts.path)
    if match:
        return match.group(1)
    ids = parse_qs(parts.query).get("id")
    return ids[0] if ids else None


def direct_url(url: str) -> str:
    """A Drive share link as its direct download address (``confirm=t`` skips the "cannot scan this
    file for viruses" page Drive shows before files over ~100 MB); any other URL unchanged."""
    file_id = drive_file_id(url)
    if file_id is None:
        return url
    return f"{DRIVE_DOWNLOAD}?{urlencode({'id': file_id, 'export': 'download', 'confirm': 't'})}"


class _DownloadForm(HTMLParser):
    """The ``<form>`` of a "download anyway" confirm page: its action and hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None and ("download" in values.get("action", "")
                                                      or values.get("id") == "download-form"):
            self.action, self._inside = values.get("action", ""), True
        elif tag == "input" and self._inside and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False


def confirm_url(page: str, base: str) -> str | None:
    """The address a "download anyway" page's form submits to (Drive's large-file warning), or None."""
    form = _DownloadForm()
    form.feed(page)
    if not form.action:
        return None
    action = urljoin(base, form.action)
    if not form.fields:
        return action
    return f"{action}{'&' if '?' in action else '?'}{urlencode(form.fields)}"


def _user_agent() -> str:
    from emotion_classifier import __version__

    return f"emotion_classifier/{__version__}"


def download(url: str, destination: str | Path, *, progress: bool = True, retries: int = 3,
             timeout: float = 60.0) -> Path:
    """Download ``url`` to ``destination`` through ``destination.part``, resuming a partial file.

    A dropped connection is retried ``retries`` times, each from the bytes already on disk; a server
    that ignores ``Range`` (answers 200) is read from the start. An HTML answer is followed once when it
    is a confirm form, else refused (a Drive file not shared as "Anyone with the link" answers a login
    page). Every failure is one `InputError` line; the ``.part`` file is kept for the next run.
    """
    url, destination = direct_url(url), Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    failures, pages = 0, 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": _user_agent()}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with urlopen(Request(url, headers=headers), timeout=timeout) as response:
                if response.headers.get_content_type() == "text/html":
                    page = response.read(MAX_PAGE_BYTES).decode("utf-8", "replace")
                    follow = confirm_url(page, response.geturl())
                    if follow is None or pages:
                        raise InputError("the server sent a web page, not a bundle (a Drive file must be shared "
                                         "as 'Anyone with the link')", url)
                    url, pages = follow, pages + 1
                    continue
                _receive(response, part, have, progress)
            os.replace(part, destination)
            return destination
        except HTTPError as exc:
            if exc.code == 416 and have:  # the .part is not a prefix of what the server has now
                part.unlink()
                continue
            hint = " (a Drive file must be shared as 'Anyone with the link')" if exc.code in (401, 403) else ""
            raise InputError(f"download failed: HTTP {exc.code} {exc.reason}{hint}", url) from None
        except (URLError, OSError, http.client.HTTPException) as exc:
            failures += 1
            if failures > retries:
                kept = part.stat().st_size if part.exists() else 0
                reason = getattr(exc, "reason", None) or exc
                raise InputError(f"download failed after {failures} tries ({reason}); {kept} bytes kept in "
                                 f"{part}, run the same command again to resume", url) from None


def _receive(response: http.client.HTTPResponse, part: Path, have: int, progress: bool) -> None:
    """Write one response's body to ``part``: appended after ``have`` bytes on a 206, from scratch
    otherwise. A body shorter than its ``Content-Length`` raises ``IncompleteRead`` (retried)."""
    if have and response.status == 206:
        match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
        if not match or int(match.group(1)) != have:
            raise http.client.HTTPException(f"the server resumed at the wrong place ({match and match.group(1)})")
    else:
        have = 0
    length = response.headers.get("Content-Length")
    expected = have + int(length) if length and length.isdigit() else None
    received = 0
    with open(part, "ab" if have else "wb") as out, tqdm(
        total=expected, initial=have, unit="B", unit_scale=True, unit_divisor=1024, desc="download",
        disable=not progress,
    ) as bar:
        while block := response.read(CHUNK):
            out.write(block)
            received += len(block)
            bar.update(len(block))
    if expected is not None and have + received != expected:
        raise http.client.IncompleteRead(b"", expected - have - received)
