"""``python -m emotion_classifier.features.digest_helper ROOT [MANIFEST]``: `identity.BackgroundDigests`'s helper.

Prints, as JSON, the `ContentDigests` entries of every wav and transcript of the corpus at ROOT (keyed by
relative path), keeping the digests the previous MANIFEST recorded for unchanged files. A process of its
own rather than a thread (the GIL) or a multiprocessing child (which re-runs a script's or notebook's
``__main__``); nothing imports this module.
"""

from __future__ import annotations

import json
import sys

from emotion_classifier.datasets.segment_table import media_files
from emotion_classifier.features.identity import ContentDigests
from emotion_classifier.features.manifest import read_manifest


def corpus_media_digests(root: str, previous_inputs: dict[str, dict] | None) -> dict[str, dict]:
    """`ContentDigests` entries of every wav and transcript of the corpus at ``root``, keyed by relative path."""
    digests = ContentDigests(root, previous_inputs)
    digests.prefetch(media_files(root))
    return digests.found()


def main(argv: list[str]) -> int:
    previous = read_manifest(argv[1]).get("inputs") if len(argv) > 1 else None  # as `prepare` reads it
    json.dump(corpus_media_digests(argv[0], previous), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
