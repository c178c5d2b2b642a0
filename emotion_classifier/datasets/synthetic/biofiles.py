"""Lines of the body-signal files and the ground truth of what each file holds.

Both corpora tag a line with a segment id only while that segment is spoken (by either speaker), so
lines have an optional last field. The truth is computed from the very strings that are written, so
a reader can be checked against it exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BIO_TRUTH_COLUMNS = (
    "file", "signal", "owner", "segment_id", "n_samples", "n_distinct",
    "first_time", "first_offset", "first_value",
)
"""``first_time`` is the time field as written (KEMDy19 elapsed seconds, KEMDy20 unix time);
``first_offset`` is seconds since the recording start, the ``time`` a bio reader reports."""


def segment_labels(time: np.ndarray, starts: np.ndarray, ends: np.ndarray, ids: Sequence[str]) -> np.ndarray:
    """The id of the segment being spoken at each time ('' between turns); turns never overlap."""
    labels = np.full(len(time), "", dtype=object)
    for i0, i1, sid in zip(np.searchsorted(time, starts), np.searchsorted(time, ends), ids, strict=True):
        labels[i0:i1] = sid
    return labels


def bio_lines(fields: Sequence[np.ndarray], labels: np.ndarray) -> list[str]:
    """Comma-joined lines, with the segment id as an extra last field where there is one."""
    return [
        ",".join(parts) + (f",{label}" if label else "")
        for *parts, label in zip(*fields, labels, strict=True)
    ]


def bio_truth_rows(
    file: str,
    signal: str,
    owner: str,
    labels: np.ndarray,
    times: np.ndarray,
    offsets: np.ndarray,
    values: np.ndarray,
) -> list[dict]:
    """One row per segment id in a file, from the written time strings, offsets and value strings."""
    rows = []
    tagged = np.flatnonzero(labels != "")
    if not len(tagged):
        return rows
    ids, first, counts = np.unique(labels[tagged].astype(str), return_index=True, return_counts=True)
    for sid, at, count in zip(ids, tagged[first], counts, strict=True):
        mine = tagged[labels[tagged] == sid]
        rows.append(
            {
                "file": file,
                "signal": signal,
                "owner": owner,
                "segment_id": str(sid),
                "n_samples": int(count),
                "n_distinct": len(set(times[mine].tolist())),
                "first_time": float(times[at]),
                "first_offset": float(offsets[at]),
                "first_value": float(values[at]),
            }
        )
    return rows
