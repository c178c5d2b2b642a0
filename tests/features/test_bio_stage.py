import json

import numpy as np
import pytest

from emotion_classifier.features.bio_stage import person_chunk


def _kemdy19_file(path, values, times, ids):
    lines = [f"{v},{t},10:00:{t:06.3f}" + (f",{s}" if s else "") for v, t, s in zip(values, times, ids, strict=True)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _files(tmp_path, ecg_values):
    t = np.arange(40) * 0.25
    ids = ["Sess01_impro01_F001" if 8 <= i < 16 else "" for i in range(40)]
    eda = _kemdy19_file(tmp_path / "EDA.csv", 2 + 0.01 * np.sin(t), t, ids)
    ecg = _kemdy19_file(tmp_path / "ECG.csv", ecg_values, t, ids)
    return {"EDA": [eda], "TEMP": [], "ECG": [ecg]}


def _run(files, ids=(("Sess01_impro01_F001", "Sess01_impro01_F001"),)):
    result = person_chunk(files, list(ids), "KEMDy19")
    features = dict(zip(result["feature_names"], result["features"][0], strict=True))
    return features, json.loads(str(result["report"])), bool(result["has_bio"][0])


def test_ecg_with_a_signal_column_gives_features(tmp_path):
    ecg = 100 * np.sin(np.arange(40) * 2.0)  # goes down about half the time: not a clock
    features, report, has_bio = _run(_files(tmp_path, ecg))
    assert report["signals_used"] == ["EDA", "ECG"] and has_bio
    assert features["ecg_n"] == 8 and features["ecg_mean"] == pytest.approx(np.mean(ecg[8:16]))


def test_ecg_holding_only_a_clock_gives_no_features(tmp_path):
    clock = 13000 + np.arange(40) * 3.0  # rises steadily: time, not a heart signal
    features, report, has_bio = _run(_files(tmp_path, clock))
    assert report["signals_used"] == ["EDA"] and has_bio
    assert np.isnan(features["ecg_mean"]) and features["ecg_n"] == 0
    assert any("no signal" in note for note in report["notes"])


def test_samples_tagged_with_the_id_as_written_count_for_the_canonical_id(tmp_path):
    files = _files(tmp_path, np.zeros(40))
    features, _, has_bio = _run(files, [("Sess17_impro01_F001", "Sess01_impro01_F001")])
    assert has_bio and features["eda_n"] == 8
