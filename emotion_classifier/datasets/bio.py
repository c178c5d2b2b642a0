"""Reading the body-signal files (EDA, TEMP, ECG, IBI) of both corpora.

The files are exports with quirks rather than CSV tables: KEMDy19 lines carry a segment id only
while a segment is spoken (3 or 4 fields), KEMDy20 files start with Empatica E4 header lines, and
the KEMDy19 ECG layout is undocumented. So lines are split in bulk and checked field by field; a bad
line is listed in ``problems`` and skipped, never fatal, because one glitch in a 100k-line recording
must not cost the whole person.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from emotion_classifier.datasets.layout import KEMDY19, KEMDY20
from emotion_classifier.datasets.raw_csv import read_lines, to_numbers

BIO_SIGNALS: dict[str, tuple[str, ...]] = {KEMDY19: ("EDA", "TEMP", "ECG"), KEMDY20: ("EDA", "TEMP", "IBI")}
E4_RATE = 4.0
"""Empatica E4 EDA and TEMP sampling rate (Hz); KEMDy19 files do not state it."""
TIME_LIKE_SHARE = 0.9
"""A column whose values do not decrease in at least this share of steps is treated as time: an
ECG trace goes down about half the time, a clock only at the few dialogue boundaries."""
REGULAR_STEP_SHARE = 0.8
"""... or whose steps are within 10% of a positive median step this often (a clock that restarts
per dialogue, in a short file where the restarts are a large share of the steps)."""
_UNIX_TIME_MIN = 1e8

PLAUSIBLE_RANGES: dict[str, tuple[float, float, bool, str]] = {
    "IBI": (0.25, 2.0, False, "s"),
    "EDA": (0.0, 100.0, True, "µS"),
    "TEMP": (20.0, 43.0, True, "°C"),
}
"""Per signal: (low, high, bounds included, unit) of a physiologically possible sample. An
inter-beat interval outside (0.25, 2.0) s is a heart rate outside 30-240 bpm (a negative one became
a negative heart rate); skin conductance outside [0, 100] µS and skin temperature outside
[20, 43] °C are sensor faults. Such samples are dropped and listed like malformed lines, because one
glitch would otherwise pull a segment's mean far away. ECG has no documented unit or range: its
samples are only required to be finite."""


@dataclass(frozen=True)
class LineLayout:
    """Where each field of one kind of bio file sits (0-based)."""

    header_lines: int
    min_fields: int
    max_fields: int
    """The segment id is the optional last field: present only on lines with ``max_fields``."""
    value_field: int
    time_field: int | None
    """None: time is the sample position over the sampling rate of the header (KEMDy20 EDA/TEMP)."""
    rate: float | None = None
    """The known sampling rate when the file does not state it."""


LAYOUTS: dict[tuple[str, str], LineLayout] = {
    # value, elapsed_seconds, hh:mm:ss.fff[, segment id]
    (KEMDY19, "EDA"): LineLayout(0, 3, 4, value_field=0, time_field=1, rate=E4_RATE),
    (KEMDY19, "TEMP"): LineLayout(0, 3, 4, value_field=0, time_field=1, rate=E4_RATE),
    # undocumented: 3 or 4 fields like the E4 files; which numeric field is time is detected
    (KEMDY19, "ECG"): LineLayout(0, 3, 4, value_field=0, time_field=1),
    # header: start unix time, sampling rate; then value, timestamp[, segment id]
    (KEMDY20, "EDA"): LineLayout(2, 2, 3, value_field=0, time_field=None),
    (KEMDY20, "TEMP"): LineLayout(2, 2, 3, value_field=0, time_field=None),
    # header: start unix time; then offset_s, ibi_s, timestamp[, segment id]
    (KEMDY20, "IBI"): LineLayout(1, 3, 4, value_field=1, time_field=0),
}


@dataclass
class BioRecording:
    """One bio file: its samples, the lines that could not be used, and what was found in it."""

    path: str
    signal: str
    sampling_rate: float | None
    samples: pd.DataFrame
    """Columns ``time`` (s), ``value`` (float; IBI: the inter-beat interval in s), ``segment_id``."""
    problems: list[dict] = field(default_factory=list)
    signal_column_found: bool = True
    """False when only time-like columns were found (KEMDy19 ECG): ``value`` is then NaN."""
    layout_note: str = ""
    """What the reader decided about an undocumented layout (KEMDy19 ECG), for the report."""

    def by_segment(self) -> dict[str, pd.DataFrame]:
        """The samples carrying each segment id, time-sorted (lines without an id are left out)."""
        tagged = self.samples[self.samples["segment_id"].ne("")]
        return {
            sid: rows.sort_values("time", kind="stable").reset_index(drop=True)
            for sid, rows in tagged.groupby("segment_id", sort=True)
        }


def _leading_number(line: str) -> float:
    """The first field of an E4 header line (start time, sampling rate) as a float, NaN when not a number."""
    return float(to_numbers(pd.Series([line.split(",")[0].strip()])).iloc[0])


def sniff_corpus(lines: list[str]) -> str:
    """KEMDy20 files open with an E4 header whose first field is a unix time; KEMDy19 lines never do."""
    if not lines:
        return KEMDY19
    n_fields = lines[0].count(",") + 1
    return KEMDY20 if n_fields <= 2 and _leading_number(lines[0]) >= _UNIX_TIME_MIN else KEMDY19


def _problem(path: Path, line: int, problem: str) -> dict:
    return {"file": str(path), "line": int(line), "problem": problem}


def _split_fields(
    lines: list[str], layout: LineLayout, numeric: tuple[int, ...] = (), read: tuple[int, ...] | None = None
) -> tuple[pd.DataFrame, pd.Series]:
    """Fields of each data line (stripped, '' where absent) and the field count of each line; the
    ``numeric`` fields come as floats where every cell of the file is a number, and only the fields in
    ``read`` (None: all) are read on the fast path, the others left blank (`_split_fields_fast`).

    An hour of a 4 Hz signal is 14,400 lines, and a full corpus has a hundred such files: the lines are
    split by pandas's C parser in one pass (`_split_fields_fast`); text it could read differently
    (NUL characters, whitespace to strip) goes through the plain per-line split instead."""
    body = lines[layout.header_lines :]
    fast = _split_fields_fast(body, layout.max_fields, numeric, read) if body else None
    return fast if fast is not None else _split_fields_plain(body, layout.max_fields)


_NEEDS_PLAIN_SPLIT = (b"\x00", b"\t", b"\x0b", b"\x0c", b"\r", b"\x1c", b"\x1d", b"\x1e", b"\x1f", b" ")
"""Bytes the C parser would treat differently from ``str.split`` + ``str.strip``: NUL, whitespace
(nothing is stripped on the fast path) and, checked apart, any non-ASCII byte (some characters are
Unicode whitespace). One ``bytes in`` scan each: a regular expression's character class took 3 ms a file."""


def _split_fields_fast(
    body: list[str], max_fields: int, numeric: tuple[int, ...] = (), read: tuple[int, ...] | None = None
) -> tuple[pd.DataFrame, pd.Series] | None:
    """`_split_fields_plain`'s result from one `pd.read_csv` pass, or None where it might differ.

    Making a string of every cell and parsing the numbers from them again was most of the bio stage's
    time, so: a field of ``numeric`` whose every cell the C parser reads as a number comes as float64
    (equal to `to_numbers` of its text: both parse with a correctly rounded strtod); one with any other
    cell (blank, a word, "nan") stays text, for `_check_numbers` to list. Fields not in ``read`` (None:
    all) are not parsed at all and come back blank (the E4 clock column nobody uses).
    """
    text = "\n".join(body)
    data = text.encode("utf-8")
    if not data.isascii() or any(byte in data for byte in _NEEDS_PLAIN_SPLIT):
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    line_of_comma = np.searchsorted(np.flatnonzero(raw == ord("\n")), np.flatnonzero(raw == ord(",")))
    counts = pd.Series(np.bincount(line_of_comma, minlength=len(body)) + 1, dtype=np.int64)
    n_columns = int(counts.max())  # fields no line reaches are blank, as in the plain split
    wanted = [f for f in range(min(max_fields, n_columns)) if read is None or f in read]
    fields = pd.read_csv(
        io.BytesIO(data + b"\n"), header=None, names=range(n_columns), usecols=wanted,
        dtype={f: str for f in wanted if f not in numeric}, na_filter=False, quoting=csv.QUOTE_NONE,
        skip_blank_lines=False, engine="c",
    )  # fmt: skip
    if len(fields) != len(body):
        return None
    columns = {}
    for f in range(max_fields):
        column = fields[f] if f in wanted else pd.Series(np.full(len(fields), "", dtype=object))
        if f in numeric and column.dtype.kind in "if" and not column.isna().any():
            columns[f] = column.astype(float)
        elif column.dtype.kind in "iufb":  # numbers with NaN, huge or boolean cells: the text, re-read
            return _split_fields_fast(body, max_fields, (), read)
        else:
            columns[f] = column.astype(object)
    return pd.DataFrame(columns), counts


def _split_fields_plain(body: list[str], max_fields: int) -> tuple[pd.DataFrame, pd.Series]:
    """Split each line on commas and strip each field (the reference `_split_fields_fast` must match)."""
    body = pd.Series(body, dtype=object)
    counts = body.str.count(",") + 1
    if body.empty:
        return pd.DataFrame({f: pd.Series(dtype=object) for f in range(max_fields)}), counts
    fields = body.str.split(",", n=max_fields, expand=True).reindex(columns=range(max_fields))
    return fields.apply(lambda column: column.fillna("").str.strip()), counts


def _check_start_time(lines: list[str], layout: LineLayout, path: Path, problems: list[dict]) -> None:
    """An E4 export's first line is its start as a unix time: anything else is a damaged header (listed;
    the samples stay usable, their times count from the first sample)."""
    if layout.header_lines and lines and not _leading_number(lines[0]) >= _UNIX_TIME_MIN:
        problems.append(_problem(path, 1, f"E4 header: start time {lines[0][:40]!r} is not a unix time"))


def _sampling_rate(lines: list[str], layout: LineLayout, path: Path, problems: list[dict]) -> float | None:
    if layout.time_field is not None:
        return layout.rate
    if not lines:  # an empty file: listed once, as such, by read_bio_file
        return None
    if len(lines) < layout.header_lines:
        problems.append(_problem(path, len(lines) + 1, "missing E4 header line (sampling rate)"))
        return None
    rate = _leading_number(lines[1])
    if not rate > 0:
        problems.append(_problem(path, 2, f"sampling rate {lines[1]!r} is not a positive number"))
        return None
    return float(rate)


def is_time_like(values: pd.Series) -> bool:
    """True for a column that rises through the file, or rises near-linearly between restarts (a clock)."""
    x = values.dropna().to_numpy()
    if len(x) < 3 or x.max() == x.min():
        return False
    steps = np.diff(x)
    median = np.median(steps)
    regular = median > 0 and np.mean(np.abs(steps - median) <= 0.1 * median) >= REGULAR_STEP_SHARE
    return bool(regular or np.mean(steps >= 0) >= TIME_LIKE_SHARE)


def detect_ecg_fields(fields: pd.DataFrame, usable: pd.Series) -> tuple[int | None, int | None, str]:
    """(value field, time field, note) for the undocumented KEMDy19 ECG layout.

    Fields 0 and 1 are the numeric candidates (field 2 is the clock). A time-like one is time, field 1
    first when both are (it is the elapsed-seconds field of the EDA/TEMP files; field 0 may be a device
    counter that restarts per dialogue); the signal must be a numeric field that is not time-like,
    otherwise there is none (value None), so that a clock can never pass for a heart signal.
    """
    numeric = {f: to_numbers(fields.loc[usable, f]) for f in (0, 1)}
    numeric = {f: v for f, v in numeric.items() if v.notna().mean() >= 0.5}
    times = [f for f in (1, 0) if f in numeric and is_time_like(numeric[f])]
    signals = [f for f in numeric if f not in times]
    value = signals[0] if signals else None
    time = times[0] if times else next((f for f in numeric if f != value), None)
    describe = {None: "none"} | {f: f"field {f + 1}" for f in (0, 1)}
    note = f"ECG layout: time = {describe[time]}, signal = {describe[value]}"
    if value is None:
        note += " (only time-like numeric columns: no signal to use)"
    return value, time, note


def _check_numbers(
    cells: pd.Series, usable: pd.Series, what: str, lines: pd.Series, path: Path, problems: list[dict]
) -> tuple[pd.Series, pd.Series]:
    """Parse a numeric field; lines where it is not a number are listed and marked unusable."""
    values = to_numbers(cells)
    bad = usable & values.isna()
    if not bad.any():  # the usual case: skip building empty selections
        return usable, values
    problems.extend(
        _problem(path, n, f"{what} {c!r} is not a number") for n, c in zip(lines[bad], cells[bad], strict=True)
    )
    return usable & ~bad, values


def _check_plausible(
    values: pd.Series, usable: pd.Series, signal: str, lines: pd.Series, path: Path, problems: list[dict]
) -> pd.Series:
    """Mark samples outside `PLAUSIBLE_RANGES` (any signal: not finite) unusable and list each one."""
    if signal in PLAUSIBLE_RANGES:
        low, high, closed, unit = PLAUSIBLE_RANGES[signal]
        bad = usable & ~values.between(low, high, inclusive="both" if closed else "neither")  # NaN/inf too
        why = f"{unit} (outside {low:g}-{high:g})"
    else:
        bad = usable & ~np.isfinite(values)
        why = "(not finite)"
    if not bad.any():
        return usable
    found = zip(lines[bad], values[bad], strict=True)
    problems.extend(_problem(path, n, f"implausible {signal} {v:g} {why}") for n, v in found)
    return usable & ~bad


def _estimated_rate(time: pd.Series) -> float | None:
    """Samples per second from the median positive time step (the ECG files do not state a rate)."""
    steps = np.diff(time.to_numpy())
    return round(float(1 / np.median(steps[steps > 0])), 3) if (steps > 0).any() else None


def read_bio_file(path: str | Path, signal: str, corpus: str | None = None) -> BioRecording:
    """Read one bio file; ``corpus`` (``KEMDy19``/``KEMDy20``) is sniffed from the first line when None.

    Time is the elapsed-seconds field (KEMDy19), the sample position over the header's sampling rate
    (KEMDy20 EDA/TEMP: seconds since the first sample) or the IBI offset from the recording start.
    """
    path, signal = Path(path), signal.upper()
    lines = read_lines(path)
    corpus = corpus or sniff_corpus(lines)
    if (corpus, signal) not in LAYOUTS:
        raise ValueError(f"{path}: {corpus} has no {signal} files (expected one of {BIO_SIGNALS.get(corpus)})")
    layout = LAYOUTS[(corpus, signal)]
    problems: list[dict] = []
    _check_start_time(lines, layout, path, problems)
    rate = _sampling_rate(lines, layout, path, problems)
    numeric = (0, 1) if signal == "ECG" else tuple(f for f in (layout.value_field, layout.time_field) if f is not None)
    fields, counts = _split_fields(lines, layout, numeric, read=(*numeric, layout.max_fields - 1))
    line_numbers = pd.Series(np.arange(len(fields)) + layout.header_lines + 1, index=fields.index)
    usable = counts.between(layout.min_fields, layout.max_fields)
    problems.extend(
        _problem(path, n, f"{c} fields, expected {layout.min_fields} or {layout.max_fields}")
        for n, c in zip(line_numbers[~usable], counts[~usable], strict=True)
    )
    value_field, time_field, note = layout.value_field, layout.time_field, ""
    if signal == "ECG":
        value_field, time_field, note = detect_ecg_fields(fields, usable)
    value = pd.Series(np.nan, index=fields.index)
    if value_field is not None:
        usable, value = _check_numbers(fields[value_field], usable, signal.lower(), line_numbers, path, problems)
        usable = _check_plausible(value, usable, signal, line_numbers, path, problems)
    if time_field is None:
        time = pd.Series(np.arange(len(fields)) / rate if rate else np.nan, index=fields.index, dtype=float)
    else:
        usable, time = _check_numbers(fields[time_field], usable, "time", line_numbers, path, problems)
        rate = rate if signal != "ECG" else _estimated_rate(time[usable])
    segment_id = fields[layout.max_fields - 1].where(counts.eq(layout.max_fields), "")
    samples = pd.DataFrame({"time": time, "value": value, "segment_id": segment_id})[usable].reset_index(drop=True)
    if fields.empty:
        after = " after the header" if lines else ""
        problems.append(_problem(path, len(lines) + 1, f"empty file: no samples{after}"))
    problems.sort(key=lambda p: p["line"])
    return BioRecording(str(path), signal, rate, samples, problems, value_field is not None, note)


def unmatched_ids_problem(recording: BioRecording, ids: set[str]) -> dict | None:
    """A problem when a file with samples carries no segment id of ``ids`` (e.g. a TEMP file of another
    session copied under this name): none of its samples can reach a segment, which would otherwise
    only show as lower coverage. None when some id matches, or when the file has no samples at all
    (reported as an empty file)."""
    if recording.samples.empty:
        return None
    found = set(recording.samples["segment_id"].unique()) - {""}
    if found & ids:
        return None
    example = f" (e.g. {min(found)!r})" if found else ""
    return {
        "file": recording.path,
        "line": None,
        "problem": f"no segment id in the file matches a segment of the table: {len(found)} ids{example}",
    }


def bio_files_for(row_or_person: Mapping | str, root: str | Path) -> dict[str, Path]:
    """The speaker's own bio file for each signal of the corpus (check ``.exists()``: some are missing).

    Accepts a segment-table row, a KEMDy19 person (``Sess01F``: one file per person per signal) or a
    KEMDy20 person-in-conversation (``Sess01_script01_User002M``: one file per conversation). For a
    KEMDy20 row whose id was rewritten (``Sess42`` in ``Sess17_eval.csv``) the file named after the id
    as written (in the canonical session's folder) is used when the canonical one does not exist.
    Layout: ``SIGNAL/SessionSS/Original/SessSSG.csv`` (KEMDy19), ``SIGNAL/SessionSS/<name>.csv`` (KEMDy20).
    """
    root = Path(root)
    if isinstance(row_or_person, str):
        names = [row_or_person]
        corpus = KEMDY20 if "_" in row_or_person else KEMDY19
    else:
        corpus, person = row_or_person["corpus"], row_or_person["person"]
        names = [person]
        if corpus == KEMDY20:
            raw_dialogue = "_".join(str(row_or_person["segment_id_raw"]).split("_")[:2])
            names = [f"{row_or_person['dialogue']}_{person}", f"{raw_dialogue}_{person}"]
    digits = names[0].split("_")[0].removeprefix("Sess").rstrip("FM")  # the canonical session's folder
    found = {}
    for signal in BIO_SIGNALS[corpus]:
        folder = root / signal / f"Session{digits}" / ("Original" if corpus == KEMDY19 else "")
        candidates = [folder / f"{name}.csv" for name in names]
        found[signal] = next((p for p in candidates if p.exists()), candidates[0])
    return found
