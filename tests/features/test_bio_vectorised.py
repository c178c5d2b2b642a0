"""The vectorised bio features equal a straightforward per-segment reference.

`signal_features` summarises every segment at once (numpy reductions over contiguous groups),
`scr_amplitudes` re-implements NeuroKit2's SCR search without its per-peak pandas look-ups, and
`read_bio_file` splits lines with pandas's C parser. Each is compared here with the plain version
it replaced, on generated files and on the edge cases (no samples, one sample, samples at one time,
ids asked twice, samples of segments not asked for, implausible samples dropped, short recordings).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.datasets.bio import _split_fields_fast, _split_fields_plain, read_bio_file
from emotion_classifier.datasets.raw_csv import to_numbers
from emotion_classifier.features.bio import (
    MIN_NORMALISATION_SAMPLES,
    PREFIXES,
    _prepared_samples,
    feature_names,
    hrv,
    person_normalise,
    person_statistics,
    scr_amplitudes,
    summarise,
)
from emotion_classifier.features.bio import signal_features as vectorised

TIGHT = {"rtol": 1e-9, "atol": 1e-12, "equal_nan": True}


def _reference_scr(seg: pd.DataFrame) -> dict[str, float]:
    if len(seg) == 0 or not seg["scr_ok"].all():
        return {"scr_count": np.nan, "scr_amp_mean": np.nan}
    peaks = seg["scr"].dropna()
    return {"scr_count": float(len(peaks)), "scr_amp_mean": float(peaks.mean()) if len(peaks) else 0.0}


def reference(frames, signal, segment_ids, sampling_rate=None, normalisation="session"):
    """The per-segment loop `signal_features` had before it was vectorised (one selection per segment)."""
    samples, scr_failures = _prepared_samples(frames, signal, sampling_rate)
    statistics = person_statistics(samples, segment_ids, normalisation)
    labelled = samples[samples["segment_id"] != ""].sort_values("time", kind="stable")
    groups = dict(tuple(labelled.groupby("segment_id", sort=False)))
    empty = labelled.iloc[:0]
    rows, no_samples, one_sample = [], 0, 0
    for i, segment_id in enumerate(segment_ids):
        seg = groups.get(segment_id, empty)
        no_samples += len(seg) == 0
        one_sample += len(seg) == 1
        summary = summarise(seg["time"].to_numpy(dtype=float), seg["level"].to_numpy(dtype=float))
        row = dict(summary)
        if statistics is not None:
            row.update(person_normalise(summary, statistics.at[i, "mean"], statistics.at[i, "sd"]))
        if signal == "EDA":
            row.update(_reference_scr(seg))
        if signal == "IBI":
            row.update(hrv(seg["value"].to_numpy(dtype=float)))
        rows.append(row)
    prefix = PREFIXES[signal]
    table = pd.DataFrame(rows, index=pd.Index(list(segment_ids), name="segment_id"))
    table = table.rename(columns=lambda c: f"{prefix}_{c}")[feature_names(signal, normalisation)]
    counts = {"no_samples": no_samples, "one_sample": one_sample, "recordings_too_short_for_scr": scr_failures}
    if statistics is not None:
        few = statistics["n"].to_numpy() < MIN_NORMALISATION_SAMPLES
        counts["normalised_on_few_samples"] = int((few & (table[f"{prefix}_n"].to_numpy() > 0)).sum())
    return table, counts


def _assert_same(frames, signal, ids, rate=None, normalisation="session"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the reference's polyfit and NeuroKit2 warn on degenerate input
        expected, expected_counts = reference(frames, signal, ids, rate, normalisation)
    got, counts = vectorised(frames, signal, ids, rate, normalisation)
    assert list(got.columns) == list(expected.columns) and list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float), **TIGHT)
    assert counts == expected_counts
    return got


def _edge_frame(rng: np.random.Generator, signal: str) -> pd.DataFrame:
    """A recording with segments of many samples, one sample, samples all at one time, a partner's
    segment (not asked for) and unlabelled stretches, in shuffled line order."""
    n = 400
    time = np.round(np.arange(n) * 0.25, 2)
    ids = np.array([""] * n, dtype=object)
    ids[10:50], ids[60], ids[80:90], ids[100:140], ids[200:260] = "A", "B", "P", "D", "E"
    time[120:124] = time[120]  # D: four samples at one time inside a longer run
    value = (0.8 + 0.1 * rng.standard_normal(n)) if signal == "IBI" else 5 + np.cumsum(rng.normal(0, 0.05, n))
    frame = pd.DataFrame({"time": time, "value": value, "segment_id": ids})
    return frame.sample(frac=1.0, random_state=int(rng.integers(1 << 16))).reset_index(drop=True)


@pytest.mark.parametrize("normalisation", ["session", "past", "none"])
@pytest.mark.parametrize("signal", ["EDA", "TEMP", "IBI"])
def test_vectorised_features_equal_the_per_segment_reference_on_edge_cases(signal, normalisation):
    rng = np.random.default_rng(7)
    frames = [_edge_frame(rng, signal), _edge_frame(rng, signal)]
    frames[1]["segment_id"] = frames[1]["segment_id"].replace({"A": "A2", "B": "B2", "E": "E2"})
    frames[1].loc[:5, "value"] = np.nan  # dropped before summarising, as a malformed line would be
    ids = ["A", "B", "C", "D", "E", "A2", "E2", "A", "missing"]  # C/missing: no samples; A asked twice
    got = _assert_same(frames, signal, ids, 4.0, normalisation)
    prefix = PREFIXES[signal]
    assert got.loc["C", f"{prefix}_n"] == 0 and np.isnan(got.loc["C", f"{prefix}_mean"])
    assert got.loc["B", f"{prefix}_n"] == 1 and np.isnan(got.loc["B", f"{prefix}_sd"])


def test_no_labelled_samples_and_no_recordings_give_nan_rows():
    rng = np.random.default_rng(3)
    unlabelled = _edge_frame(rng, "EDA").assign(segment_id="")
    _assert_same([unlabelled], "EDA", ["A", "B"], 4.0)
    _assert_same([], "TEMP", ["A"], 4.0)
    _assert_same([unlabelled.iloc[:30]], "EDA", ["A"], 4.0)  # too short to filter: SCRs NaN, not an error


def test_vectorised_features_equal_the_reference_on_a_generated_corpus(corpus19):
    """Every person's real-layout files: generated signals, planted gaps and repeated segments."""
    truth = corpus19.truth
    speaker = truth[truth["view"] == "speaker"]
    for signal in ("EDA", "TEMP"):
        for owner in ("Sess01F", "Sess02M"):
            path = corpus19.root / signal / f"Session{owner[4:6]}" / "Original" / f"{owner}.csv"
            recording = read_bio_file(path, signal)
            ids = speaker[speaker["person"] == owner]["segment_id"].tolist()
            _assert_same([recording.samples], signal, [*ids, "Sess99_impro01_F001"], recording.sampling_rate)


def test_implausible_samples_are_dropped_before_summarising(tmp_path):
    values = [150.0 if i == 8 else 5 + 0.01 * i for i in range(60)]  # EDA over 100 µS: implausible
    lines = [f"{v:.6f},{i * 0.25:.2f},10:00:00.000" + (",S1" if 4 <= i < 20 else "") for i, v in enumerate(values)]
    path = tmp_path / "Sess01F.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    recording = read_bio_file(path, "EDA", "KEMDy19")
    assert len(recording.samples) == 59 and any("implausible" in p["problem"] for p in recording.problems)
    got = _assert_same([recording.samples], "EDA", ["S1"], 4.0)
    assert got.loc["S1", "eda_n"] == 15 and got.loc["S1", "eda_max"] < 100


def _neurokit_amplitudes(eda: np.ndarray) -> np.ndarray | str:
    import neurokit2 as nk

    try:
        phasic = nk.eda_phasic(eda, sampling_rate=4.0)["EDA_Phasic"]
        _, info = nk.eda_peaks(phasic.to_numpy(), sampling_rate=4.0)
    except ValueError:
        return "ValueError"
    out = np.full(len(eda), np.nan)
    out[np.asarray(info["SCR_Peaks"], dtype=int)] = np.asarray(info["SCR_Amplitude"], dtype=float)
    return out


def test_scr_amplitudes_equal_neurokit2(corpus19):
    signals = [read_bio_file(p, "EDA").samples["value"].to_numpy() for p in sorted(corpus19.root.glob("EDA/*/*/*.csv"))]
    rng = np.random.default_rng(0)
    signals += [np.cumsum(rng.normal(0, 0.05, n)) + 3 for n in (2000, 300, 40, 12, 5)]
    signals += [np.full(200, 2.0), np.sin(np.arange(400) / 3.0) + 4]
    for eda in signals:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = _neurokit_amplitudes(eda)
            try:
                got = scr_amplitudes(eda, 4.0)
            except ValueError:
                got = "ValueError"
        if isinstance(expected, str) or isinstance(got, str):
            assert got == expected
        else:
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "body",
    [
        ["0.1,0.25,10:00:00.250", "0.2,0.5,10:00:00.500,Sess01_impro01_F001", "0.3,0.75"],
        ["0.1,0.25,10:00:00.250,", "", "a,b,c,d,e,f,g", '"0.1,0.5,x', "1,2,3,4"],
        [" 0.1 ,0.25,10:00:00.250", "0.2\t,0.5,x"],  # whitespace to strip: the plain split
        ["0.1,0.25,10:00\u00a0", "0.2,0.5\x00,x"],  # non-ASCII, NUL: the plain split
    ],
)
def test_fast_line_split_equals_the_plain_split(body):
    expected_fields, expected_counts = _split_fields_plain(body, 4)
    fast = _split_fields_fast(body, 4)
    if fast is not None:
        pd.testing.assert_frame_equal(fast[0], expected_fields)
        pd.testing.assert_series_equal(fast[1], expected_counts)
    else:
        assert any(c in "".join(body) for c in " \t\u00a0\x00")


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        (["0.1,0.25,10:00:00.250", "0.2,0.5,10:00:00.500,Sess01_impro01_F001", "0.3,0.75"], (0, 1)),
        (["250,0,10:00:00.250", "500,1,10:00:00.500"], (0, 1)),  # integers (an ECG trace)
        (["0.1,0.25,10:00:00.250", ",0.5,x", "nan,0.75,y"], (1,)),  # a blank cell, "nan": field 0 stays text
        (["True,0.25", "False,0.5"], ()),  # booleans are not numbers: the text of every field
        (["18446744073709551616,1", "1e400,2", "1.5e-3,3"], (1,)),  # beyond int64, overflowing
        (["0.1,0.25", "0.2,0.5"], (0, 1)),  # no line reaches the segment-id field
    ],
)
def test_fast_split_parses_numeric_fields_as_to_numbers_does(body, parsed):
    """A ``numeric`` field comes as floats only when every cell is a number, equal to `to_numbers` of the
    plain split's text (else as that text, which `read_bio_file` parses and lists as before); fields not
    in ``read`` come back blank; the others are the plain split's text."""
    plain, plain_counts = _split_fields_plain(body, 4)
    fast, counts = _split_fields_fast(body, 4, numeric=(0, 1), read=(0, 1, 3))
    pd.testing.assert_series_equal(counts, plain_counts)
    assert tuple(f for f in (0, 1) if fast[f].dtype == float) == parsed
    for f in (0, 1):
        if f in parsed:
            np.testing.assert_array_equal(fast[f].to_numpy(), to_numbers(plain[f]).to_numpy())
        else:
            assert fast[f].tolist() == plain[f].tolist()
    assert fast[2].eq("").all() and fast[3].tolist() == plain[3].tolist()
