import math

import numpy as np
import pandas as pd
import pytest

from emotion_classifier.features.bio import (
    MIN_NORMALISATION_SAMPLES,
    feature_names,
    hrv,
    person_signal,
    segment_features,
    signal_features,
)


def _samples(times, values, ids):
    return pd.DataFrame({"time": np.asarray(times, float), "value": np.asarray(values, float), "segment_id": ids})


def _temp_file():
    # A: four labelled samples; B: one; P: the partner's segment (labelled in this file, not asked for);
    # four unlabelled samples at level 3 make the person's mean 3 and sd sqrt(2) (hand-computed).
    return _samples(
        [0.0, 0.25, 1.0, 1.25, 1.5, 1.75, 3.0, 4.0, 4.25, 0.5],
        [3, 3, 1, 2, 3, 6, 3, 3, 3, 3],
        ["", "", "A", "A", "A", "A", "B", "P", "", ""],
    )


def test_summary_features_match_hand_computed_values():
    features, counts = signal_features([_temp_file()], "TEMP", ["A", "B", "C"], 4.0)
    a = features.loc["A"]
    assert a["temp_mean"] == pytest.approx(3.0)
    assert a["temp_sd"] == pytest.approx(math.sqrt(14 / 3))
    assert (a["temp_min"], a["temp_max"], a["temp_first"], a["temp_last"], a["temp_n"]) == (1, 6, 1, 6, 4)
    assert a["temp_slope"] == pytest.approx(2.0 / 0.3125)  # sum(dt*dv) / sum(dt^2), per second
    person_sd = math.sqrt(14 / 9)  # whole file: mean 3, squared deviations 4+1+9, ten samples
    assert a["temp_mean_pnorm"] == pytest.approx(0.0)
    assert a["temp_max_pnorm"] == pytest.approx(3 / person_sd)
    assert a["temp_first_pnorm"] == pytest.approx(-2 / person_sd)
    assert a["temp_sd_pnorm"] == pytest.approx(math.sqrt(14 / 3) / person_sd)
    assert a["temp_slope_pnorm"] == pytest.approx(6.4 / person_sd)
    b = features.loc["B"]
    assert b["temp_n"] == 1 and b["temp_mean"] == 3 and np.isnan(b["temp_sd"]) and np.isnan(b["temp_slope"])
    c = features.loc["C"]
    assert c["temp_n"] == 0 and c.drop("temp_n").isna().all()
    assert counts["no_samples"] == 1 and counts["one_sample"] == 1
    assert list(features.columns) == feature_names("TEMP")


def test_person_statistics_pool_all_of_a_persons_files():
    first, second = _temp_file(), _temp_file()
    second["value"] += 10.0
    second["segment_id"] = second["segment_id"].replace({"A": "A2"})
    features, _ = signal_features([first, second], "TEMP", ["A", "A2"], 4.0)
    # pooled: mean 8, and A's mean (3) sits below it, A2's (13) above it by the same amount
    assert features.loc["A", "temp_mean_pnorm"] == pytest.approx(-features.loc["A2", "temp_mean_pnorm"])
    assert features.loc["A", "temp_mean_pnorm"] < 0


def test_ibi_becomes_heart_rate_and_hrv():
    ibi = _samples([0.0, 0.8, 1.55, 2.45, 3.2], [0.8, 0.8, 0.75, 0.9, 0.75], ["", "S", "S", "S", ""])
    features, _ = signal_features([ibi], "IBI", ["S"])
    s = features.loc["S"]
    assert s["hr_mean"] == pytest.approx((75 + 80 + 60 / 0.9) / 3)
    assert s["hr_first"] == pytest.approx(75) and s["hr_last"] == pytest.approx(60 / 0.9)
    assert s["hr_rmssd"] == pytest.approx(math.sqrt((50**2 + 150**2) / 2))
    assert s["hr_sdnn"] == pytest.approx(np.std([800, 750, 900], ddof=1))


def test_hrv_needs_two_beats():
    assert all(np.isnan(v) for v in hrv(np.array([0.8])).values())


def _eda_with_responses(onsets, duration=180.0):
    t = np.arange(0, duration, 0.25)
    v = np.full(len(t), 2.0)
    for onset in onsets:  # skin-conductance-response shape: fast rise, slow recovery
        d = t - onset
        v += np.where(d > 0, 0.5 * (1 - np.exp(-d / 0.7)) * np.exp(-np.clip(d - 1, 0, None) / 4), 0)
    ids = np.full(len(t), "", dtype=object)
    for name, (t0, t1) in {"R1": (38, 46), "R2": (88, 96), "Q": (10, 20)}.items():
        ids[(t >= t0) & (t < t1)] = name
    return _samples(t, v, ids)


def test_skin_conductance_responses_are_counted_in_their_segment():
    features, counts = signal_features([_eda_with_responses([40, 90, 140])], "EDA", ["R1", "R2", "Q"], 4.0)
    assert features.loc["R1", "eda_scr_count"] == 1 and features.loc["R2", "eda_scr_count"] == 1
    assert features.loc["R1", "eda_scr_amp_mean"] > 0.2
    assert features.loc["Q", "eda_scr_count"] == 0 and features.loc["Q", "eda_scr_amp_mean"] == 0
    assert counts["recordings_too_short_for_scr"] == 0


def test_recording_too_short_for_scr_gives_nan_and_is_counted():
    short = _samples([0, 0.25, 0.5], [1.0, 1.1, 1.2], ["X", "X", "X"])
    features, counts = signal_features([short], "EDA", ["X"], 4.0)
    assert counts["recordings_too_short_for_scr"] == 1
    assert np.isnan(features.loc["X", "eda_scr_count"]) and features.loc["X", "eda_mean"] == pytest.approx(1.1)


def test_no_recording_at_all_gives_nan_features():
    features, counts = signal_features([], "EDA", ["X"], 4.0)
    assert features.loc["X", "eda_n"] == 0 and np.isnan(features.loc["X", "eda_mean"])
    assert counts["no_samples"] == 1


PNORM = [f"temp_{s}_pnorm" for s in ("mean", "sd", "min", "max", "slope", "first", "last")]


def test_past_normalisation_uses_the_persons_samples_up_to_the_segments_end():
    features, _ = signal_features([_temp_file()], "TEMP", ["A", "B"], 4.0, normalisation="past")
    # A ends at 1.75 s: the samples up to then (times 0, 0.25, 0.5, 1 ... 1.75) are 3, 3, 3, 1, 2, 3, 6
    past_sd = math.sqrt(14 / 6)
    assert features.loc["A", "temp_mean_pnorm"] == pytest.approx(0.0)
    assert features.loc["A", "temp_max_pnorm"] == pytest.approx(3 / past_sd)
    assert features.loc["A", "temp_sd_pnorm"] == pytest.approx(math.sqrt(14 / 3) / past_sd)
    # B (3 s) sees eight samples, mean 3, squared deviations 4 + 1 + 9 as before
    assert features.loc["B", "temp_min_pnorm"] == pytest.approx(0.0)
    assert np.isnan(features.loc["B", "temp_sd_pnorm"])  # one sample of its own: no sd


def test_changing_only_the_samples_after_a_segment_moves_its_session_values_but_not_its_past_ones():
    changed = _temp_file()
    later = changed["time"] > 1.75  # after A's last sample
    changed.loc[later, "value"] = [40.0, -7.0, 12.0]

    def normalised(frame, normalisation):
        return signal_features([frame], "TEMP", ["A"], 4.0, normalisation=normalisation)[0].loc["A", PNORM]

    pd.testing.assert_series_equal(normalised(changed, "past"), normalised(_temp_file(), "past"))
    assert (normalised(changed, "session") != normalised(_temp_file(), "session")).all()


def test_past_normalisation_takes_earlier_files_whole_and_later_files_not_at_all():
    first, second = _temp_file(), _temp_file()
    second["value"] += 10.0
    second["segment_id"] = second["segment_id"].replace({"A": "A2"})
    alone, _ = signal_features([first], "TEMP", ["A"], 4.0, normalisation="past")
    both, _ = signal_features([first, second], "TEMP", ["A", "A2"], 4.0, normalisation="past")
    pd.testing.assert_series_equal(both.loc["A", PNORM], alone.loc["A", PNORM])
    # A2 (second file, at 1.75 s) sees all ten samples of the first file and seven of its own
    level = np.r_[_temp_file()["value"], _temp_file()["value"][_temp_file()["time"] <= 1.75] + 10.0]
    expected = (13.0 - level.mean()) / np.std(level, ddof=1)
    assert both.loc["A2", "temp_mean_pnorm"] == pytest.approx(expected)


def test_samples_at_the_segments_last_time_count_as_its_past():
    frame = _samples([0.0, 1.0, 1.0, 2.0], [1.0, 2.0, 5.0, 9.0], ["", "S", "", ""])
    features, _ = signal_features([frame], "TEMP", ["S"], 4.0, normalisation="past")
    assert features.loc["S", "temp_mean_pnorm"] == pytest.approx((2 - 8 / 3) / np.std([1, 2, 5], ddof=1))


def test_no_normalisation_gives_no_pnorm_columns():
    features, counts = signal_features([_temp_file()], "TEMP", ["A"], 4.0, normalisation="none")
    assert list(features.columns) == feature_names("TEMP", "none")
    assert not [c for c in features.columns if c.endswith("_pnorm")] and "temp_mean" in features
    assert "normalised_on_few_samples" not in counts
    with pytest.raises(ValueError, match="normalisation"):
        signal_features([_temp_file()], "TEMP", ["A"], 4.0, normalisation="future")


def test_segments_normalised_on_few_samples_are_counted():
    long = _samples(np.arange(MIN_NORMALISATION_SAMPLES) / 4, np.ones(MIN_NORMALISATION_SAMPLES), "")
    long.loc[[0, 1], "segment_id"] = "EARLY"
    long.loc[[MIN_NORMALISATION_SAMPLES - 1], "segment_id"] = "LATE"
    _, past = signal_features([long], "TEMP", ["EARLY", "LATE", "ABSENT"], 4.0, normalisation="past")
    _, session = signal_features([long], "TEMP", ["EARLY", "LATE", "ABSENT"], 4.0)
    assert past["normalised_on_few_samples"] == 1 and session["normalised_on_few_samples"] == 0
    _, short = signal_features([_temp_file()], "TEMP", ["A", "B", "ABSENT"], 4.0)
    assert short["normalised_on_few_samples"] == 2  # segments without samples are not counted


@pytest.mark.parametrize("normalisation", ["session", "past", "none"])
@pytest.mark.parametrize("signal", ["TEMP", "EDA", "IBI"])
def test_a_prepared_person_gives_any_segments_the_rows_of_all_of_them(signal, normalisation):
    """A predictor prepares a person's files once (`person_signal`) and asks for one segment at a time:
    each row must be bit for bit the one `signal_features` gives when every segment is asked at once."""
    rng = np.random.default_rng(3)
    ids = np.repeat(["", "A", "", "B", "P", "", "C"], [30, 40, 20, 1, 25, 15, 60]).tolist()
    times = np.arange(len(ids)) / 4.0
    values = 0.8 + rng.random(len(ids)) * 0.4 if signal == "IBI" else 2 + np.sin(times) + rng.random(len(ids))
    frames = [_samples(times, values, ids), _samples(times + 100, values[::-1], ids[::-1])]
    everything, _ = signal_features(frames, signal, ["A", "B", "P", "C"], 4.0, normalisation)
    person = person_signal(frames, signal, 4.0, normalisation)
    for asked in (["C"], ["B", "A", "B"], ["Q", "P"]):
        rows, _ = segment_features(person, asked)
        known = [sid for sid in asked if sid != "Q"]
        pd.testing.assert_frame_equal(rows[rows.index != "Q"], everything.loc[known], check_exact=True)
    unknown = segment_features(person, ["Q"])[0].loc["Q"]
    n = unknown.index.str.endswith("_n")
    assert (unknown[n] == 0).all() and unknown[~n].isna().all()
