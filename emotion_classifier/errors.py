"""Errors that describe a problem with the user's input.

The CLI prints these as one line (no traceback): they always name the file, and the line where
one is known, so the user can go and look.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem with a file the user gave us; ``str()`` is the whole message."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message  # without the place: a skip reason names the file elsewhere
        self.path = None if path is None else str(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class CorpusLayoutError(InputError):
    """The folder is not a KEMDy19/KEMDy20 copy (or is missing a required part)."""


class AnnotationError(InputError):
    """An annotation CSV is truncated, malformed or inconsistent."""


class UnknownLabelError(InputError):
    """An emotion label outside the seven known ones."""


class AudioError(InputError):
    """A wav file that is missing, empty or undecodable."""


class TranscriptError(InputError):
    """A transcript whose bytes are valid in none of the known encodings: one such file is skipped
    (its segment has no text) unless ``--strict``, as an unreadable wav is."""
