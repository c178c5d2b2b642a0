"""The estimate `emotion run` prints before it starts, and the per-stage ETA lines."""

import numpy as np
import pytest
import soundfile

from emotion_classifier import pipeline
from emotion_classifier.pipeline import PipelineConfig
from emotion_classifier.run_estimate import CorpusSize, RunClock, corpus_size, stage_estimates


def fake_corpus(root, sessions: int, per_session: int, seconds: float):
    """The parts of a KEMDy19 folder the estimate reads: annotation file names and wav headers."""
    (root / "annotation").mkdir(parents=True)
    silence = np.zeros(int(16000 * seconds), dtype="int16")
    for s in range(1, sessions + 1):
        (root / "annotation" / f"Session{s:02d}_F_res.csv").write_text("")
        folder = root / "wav" / f"Session{s:02d}" / f"Sess{s:02d}_impro01"
        folder.mkdir(parents=True)
        for k in range(per_session):
            soundfile.write(folder / f"Sess{s:02d}_impro01_F{k:03d}.wav", silence, 16000, subtype="PCM_16")
    return root


def printed_estimate(tmp_path, capsys, name, **size) -> tuple[str, float]:
    data = fake_corpus(tmp_path / name, **size)
    config = PipelineConfig(data=data, runs_dir=tmp_path / "runs", n_folds=2, train_settings={"epochs": 4})
    clock = pipeline.run_clock(config, data)
    lines = [line for line in capsys.readouterr().out.splitlines() if "estimate:" in line]
    assert len(lines) == 1 and lines[0].startswith("[emotion run] estimate: about ")
    return lines[0], sum(clock.stages.values())


def test_corpus_size_reads_the_wav_headers(tmp_path):
    size = corpus_size(fake_corpus(tmp_path / "c", sessions=2, per_session=3, seconds=0.5))
    assert (size.segments, size.sessions) == (6, 2)
    assert size.audio_seconds == pytest.approx(3.0)
    assert size.read_seconds(max_frames=20) == pytest.approx(6 * 0.2)  # each cut at 20 frames


def test_the_estimate_line_is_printed_and_grows_with_the_corpus(tmp_path, capsys):
    small_line, small = printed_estimate(tmp_path, capsys, "small", sessions=2, per_session=2, seconds=1.0)
    large_line, large = printed_estimate(tmp_path, capsys, "large", sessions=4, per_session=5, seconds=3.0)
    assert "4 segments" in small_line and "20 segments" in large_line and "rough" in large_line
    assert large > small > 0


def test_a_folder_that_is_not_a_corpus_gets_no_estimate(tmp_path, capsys):
    assert pipeline.run_clock(PipelineConfig(data=tmp_path), tmp_path) is None
    assert "estimate" not in capsys.readouterr().out


def test_the_stage_lines_count_stages_and_rescale_what_is_left():
    stages = stage_estimates(CorpusSize(1000, 3600.0, 10), ["text", "speech"], n_folds=5, epochs=10)
    assert list(stages) == ["prepare", "train text", "train speech", "fusion", "report"]
    assert stages["train speech"] > stages["train text"]  # an hour of frames costs more than its words
    clock = RunClock(stages, clock=lambda: 0.0)
    assert clock.start("prepare").startswith("[1/5] prepare: ~")
    clock.done("prepare", 0.1)  # cached: says nothing about training speed
    assert clock.left() == pytest.approx(sum(stages.values()) - stages["prepare"])
    assert clock.start("train text").startswith("[2/5] train text: ~")
    clock.done("train text", 4 * stages["train text"])  # the machine is four times slower than calibrated
    assert clock.left() == pytest.approx(4 * stages["train speech"] + stages["fusion"] + stages["report"])


def test_early_stopping_is_expected_to_run_half_the_epochs_within_its_limits():
    from emotion_classifier.run_estimate import epochs_run

    assert epochs_run(30, patience=5) == 15  # what the costs were calibrated with
    assert epochs_run(3, patience=5) == 3  # too few epochs for early stopping to end any fit
    assert epochs_run(8, patience=5) == 6
