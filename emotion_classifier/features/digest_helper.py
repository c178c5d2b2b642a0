"""``python -m emotion_classifier.features.digest_helper ROOT [MANIFEST]``: `identity.BackgroundDigests`'s helper.

Prints, as JSON, the `ContentDigests` entries of every wav and transcript of the corpus at ROOT (keyed by
relative path), keeping the digests the previous MANIFEST recorded for unchanged files. A process of its
own rather than a thread (the GIL) or a multiprocessing child (which re-runs a script's or notebook's
``__main__``); nothing imports this module.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from emotion_classifier.errors import InputError
from emotion_classifier.features.identity import corpus_media_digests
from emotion_classifier.files import read_json


def main(argv: list[str]) -> int:
    root, manifest = argv[0], Path(argv[1]) if len(argv) > 1 else None
    try:
        previous = read_json(manifest).get("inputs") if manifest is not None and manifest.is_file() else None
    except (InputError, AttributeError):
        previous = None
    json.dump(corpus_media_digests(root, previous), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
