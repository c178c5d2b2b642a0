"""Random streams, one per purpose, and the rule that makes rare quirks certain.

Each stage (and each session inside it) draws from its own stream keyed by name, so that adding a
session, a dialogue or a new quirk does not reshuffle everything else, and the same seed always
writes the same bytes.
"""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator for ``seed`` and a purpose such as ``("text", "Sess01_impro01")``.

    Strings are turned into integers with CRC-32 rather than ``hash()``, which Python salts per
    process and would break byte-identical output.
    """
    words = [int(seed)] + [k if isinstance(k, int) else zlib.crc32(str(k).encode("utf-8")) for k in keys]
    return np.random.default_rng(words)


def at_least_one(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Turn one random entry on when a rare draw (a tie, a blank cell) happened nowhere.

    Small test corpora must still show every quirk; on the demo size this almost never fires, so the
    rates stay as drawn.
    """
    mask = np.asarray(mask, dtype=bool).copy()
    if mask.size and not mask.any():
        mask[int(rng.integers(mask.size))] = True
    return mask
