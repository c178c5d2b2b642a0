import numpy as np
import pandas as pd
import pytest
from fake_runs import fake_segments, predict, split_rows

from emotion_classifier.errors import InputError
from emotion_classifier.fusion.align import align_predictions, combination_counts, load_modality_predictions
from emotion_classifier.training.metrics import PROBA_COLUMNS


@pytest.fixture
def oof_rows() -> pd.DataFrame:
    return split_rows(fake_segments(per_session=10))[1]


def test_alignment_is_the_union_of_scored_segments(oof_rows):
    text = predict(oof_rows, 0.5, seed=1).iloc[5:]
    speech = predict(oof_rows, 0.5, seed=2).iloc[:-7]
    aligned = align_predictions({"text": text, "speech": speech})
    assert aligned.modalities == ("speech", "text")
    assert len(aligned) == len(oof_rows)
    by_id = aligned.meta["segment_id"].tolist()
    for j, table in enumerate((speech, text)):
        rows = [by_id.index(s) for s in table["segment_id"]]
        np.testing.assert_allclose(aligned.proba[rows, j], table[list(PROBA_COLUMNS)].to_numpy())
        assert aligned.available[:, j].sum() == len(table)


def test_nan_probabilities_count_as_missing_and_combinations_are_counted(oof_rows):
    text = predict(oof_rows, 0.5, seed=1)
    speech = predict(oof_rows, 0.5, seed=2)
    bio = predict(oof_rows, 0.5, seed=3)
    speech.loc[:9, list(PROBA_COLUMNS)] = np.nan  # an unreadable wav: row present, probabilities NaN
    bio = bio.iloc[5:]  # no bio file for the first five segments
    counts = combination_counts(align_predictions({"text": text, "speech": speech, "bio": bio}))
    has_speech = set(speech["segment_id"][10:])
    has_bio = set(bio["segment_id"])
    expected: dict[str, int] = {}
    for segment in text["segment_id"]:
        present = {"bio": segment in has_bio, "speech": segment in has_speech, "text": True}
        name = "+".join(m for m, ok in present.items() if ok)
        expected[name] = expected.get(name, 0) + 1
    assert counts == expected
    assert sum(counts.values()) == len(text)


def test_conflicting_labels_between_modalities_name_both_files(tmp_path, oof_rows):
    text = predict(oof_rows, 0.5, seed=1)
    speech = predict(oof_rows, 0.5, seed=2)
    speech.loc[0, "y_true"] = "fear" if speech.loc[0, "y_true"] != "fear" else "sad"
    text.attrs["path"], speech.attrs["path"] = "text/oof_predictions.csv", "speech/oof_predictions.csv"
    with pytest.raises(InputError, match="text/oof_predictions.csv.*speech/oof|speech/oof.*text/oof"):
        align_predictions({"text": text, "speech": speech})


def test_duplicate_segment_names_its_file_and_line(tmp_path, oof_rows):
    table = predict(oof_rows, 0.5, seed=1)
    table = pd.concat([table, table.iloc[[3]]], ignore_index=True)
    for split in ("val", "oof"):
        table.to_csv(tmp_path / f"{split}_predictions.csv", index=False)
    loaded = load_modality_predictions({"text": tmp_path})
    with pytest.raises(InputError, match=rf"oof_predictions.csv:{len(table) + 1}: segment .* twice"):
        align_predictions({"text": loaded["text"][1]})


def test_missing_or_incomplete_tables_are_input_errors(tmp_path, oof_rows):
    with pytest.raises(InputError, match="val_predictions.csv"):
        load_modality_predictions({"text": tmp_path})
    table = predict(oof_rows, 0.5, seed=1).drop(columns=["p_fear"])
    for split in ("val", "oof"):
        table.to_csv(tmp_path / f"{split}_predictions.csv", index=False)
    with pytest.raises(InputError, match="missing columns.*p_fear"):
        load_modality_predictions({"text": tmp_path})
