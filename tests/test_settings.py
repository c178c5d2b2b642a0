"""The settings file: round trip, precedence, every field reachable, bad files refused before any work.

The commands' work functions are replaced by stand-ins that record what they were given, so these
tests check the settings each command would run with, without preparing or training anything.
"""

import dataclasses
import typing
from pathlib import Path

import pytest
import tomli_w

import emotion_classifier.datasets as datasets
import emotion_classifier.features as features
import emotion_classifier.pipeline as pipeline
import emotion_classifier.training.train as train
from emotion_classifier.cli import main
from emotion_classifier.settings import (
    SECTIONS,
    SETTINGS_FILE,
    command_settings,
    load_settings,
    section_fields,
    settings_dict,
    settings_from_pipeline,
    settings_toml,
    write_settings,
)

CHOICES = {"view": "listener", "ties": "vote", "tokenizer": "kiwi", "stopwords": "builtin", "balance": "smote",
           "text_encoder": "lstm", "speech_model": "pooled", "sample_corpus": "kemdy20",
           "modalities": ("text", "bio"), "fusion_methods": ("stacking",), "bio_normalisation": "past",
           "early_fusion_parts": ("text_plm", "speech_ssl", "bio"), "cluster": "tcp://scheduler:8786"}


def other_value(name: str, hint, default):
    """A valid value of a field that differs from its default."""
    if name in CHOICES:
        return CHOICES[name]
    inner = [a for a in typing.get_args(hint) if a is not type(None)] if default is None else [hint]
    hint = inner[0]
    if hint is bool:
        return not default
    if hint is int:
        return 3 if default is None else default + 1
    if hint is float:
        return default / 2 if default else 0.5
    if typing.get_origin(hint) is tuple:
        return ("a", "b") if typing.get_args(hint)[0] is str else (7, 8)
    return Path("elsewhere/x") if hint is Path else "other"


def every_field(sections=SECTIONS):
    defaults = load_settings()
    return [(s, name, other_value(name, hint, getattr(getattr(defaults, s), name)))
            for s in sections for name, hint in section_fields(s).items()]


def toml_value(value) -> str:
    value = [str(v) if isinstance(v, Path) else v for v in value] if isinstance(value, tuple) else value
    return tomli_w.dumps({"v": str(value) if isinstance(value, Path) else value}).strip().removeprefix("v = ")


@pytest.fixture
def captured(monkeypatch, tmp_path):
    """What `emotion run`, `emotion train` and `emotion prepare` would have run with.

    Runs in an empty folder: the default `--data` does not exist there (a fresh clone has no
    sample corpus), so the corpus check is replaced too, and `--out` probes land in tmp_path.
    """
    seen = {}
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()  # `train --artifacts a` (train_argv) names a finished prepare output
    (tmp_path / "a" / "manifest.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(datasets, "detect_corpus", lambda data: "kemdy19")
    monkeypatch.setattr(pipeline, "run_pipeline", lambda config, progress: seen.update(run=config))
    monkeypatch.setattr(features, "prepare", lambda data, out, config, progress, force: seen.update(prepare=config))

    def fake_train(artifacts, modality, config, run_dir, **kwargs):
        seen.update(train=config, train_kwargs=kwargs)
        raise SystemExit(0)  # stop before the summary is printed

    monkeypatch.setattr(train, "train_modality", fake_train)
    return seen


def run_settings(argv, captured):
    assert main(["run", *argv]) == 0
    return settings_from_pipeline(captured["run"])


def train_argv(*extra):
    return ["train", "--artifacts", "a", "--modality", "bio", *extra]


def test_a_written_file_reads_back_to_equal_settings_and_names_every_field(tmp_path):
    settings = command_settings(None, {"train.epochs": 3, "run.data": "corpus"},
                                ["train.hidden_units=[32, 16]", "prepare.tokenizer=kiwi", "run.test_sessions=[2, 5]",
                                 "run.seed=7", "run.modalities=['text', 'speech']"])
    path = write_settings(tmp_path / "e.toml", settings)
    assert load_settings(path) == settings
    assert settings.train.hidden_units == (32, 16) and settings.train.seed == 7 and settings.run.data == Path("corpus")
    text = settings_toml(settings)
    for section, values in settings_dict(settings).items():
        assert f"[{section}]" in text
        for name in values:
            assert name in text, f"{section}.{name} missing from the written file"
    assert settings_from_pipeline(settings.pipeline_config()) == settings


def test_defaults_then_file_then_typed_options_then_set(tmp_path, captured):
    path = tmp_path / "e.toml"
    path.write_text('[train]\nepochs = 2\nunits = 32\ndropout = 0.3\n[run]\nrun_name = "fromfile"\nn_folds = 4\n'
                    '[prepare]\ntokenizer = "kiwi"\n', encoding="utf-8")
    settings = run_settings(["--config", str(path), "--epochs", "5", "--run", "demo", "--set", "train.units=16",
                             "--set", "train.dropout=0.1"], captured)
    assert settings.train.epochs == 5  # typed option over the file
    assert settings.run.run_name == "demo"  # typed, although equal to the default
    assert settings.train.units == 16 and settings.train.dropout == 0.1  # --set over the file
    assert settings.run.n_folds == 4 and settings.prepare.tokenizer == "kiwi"  # the file over the defaults
    assert settings.train.batch_size == load_settings().train.batch_size  # untouched: the default
    assert run_settings(["--config", str(path), "--epochs", "5", "--set", "train.epochs=9"], captured).train.epochs == 9
    assert run_settings(["--config", str(path), "--set", "run.n_folds="], captured).run.n_folds is None  # "" = None


def test_train_and_prepare_read_their_sections_and_the_fold_settings(tmp_path, captured):
    path = tmp_path / "e.toml"
    path.write_text('[train]\nepochs = 2\nseed = 3\n[run]\nfolds_file = "f.json"\n[prepare]\nn_mfcc = 13\n',
                    encoding="utf-8")
    with pytest.raises(SystemExit):
        main(train_argv("--config", str(path), "--set", "train.units=8", "--no-multitask"))
    assert (captured["train"].epochs, captured["train"].units, captured["train"].seed) == (2, 8, 3)
    assert captured["train"].regression_heads is False and captured["train_kwargs"]["folds_file"] == Path("f.json")
    with pytest.raises(SystemExit):
        main(train_argv("--folds-file", "g.json", "--config", str(path)))
    assert captured["train_kwargs"]["folds_file"] == Path("g.json")
    assert main(["prepare", "--config", str(path), "--log-mel", "--set", "prepare.chunk_size=8"]) == 0
    assert (captured["prepare"].n_mfcc, captured["prepare"].log_mel, captured["prepare"].chunk_size) == (13, True, 8)
    assert main(["prepare", "--config", str(path), "--bio-normalisation", "none"]) == 0
    assert captured["prepare"].bio_normalisation == "none" and captured["prepare"].n_mfcc == 13


@pytest.mark.parametrize(("section", "name", "value"), every_field(), ids=lambda v: str(v))
def test_every_field_is_reachable_with_set_on_emotion_run(section, name, value, captured):
    settings = run_settings(["--set", f"{section}.{name}={toml_value(value)}"], captured)
    assert getattr(getattr(settings, section), name) == value


def test_every_train_and_prepare_field_is_reachable_on_their_own_commands(captured):
    for _, name, value in every_field(["train"]):
        with pytest.raises(SystemExit):
            main(train_argv("--set", f"train.{name}={toml_value(value)}"))
        assert getattr(captured["train"], name) == value, name
    for _, name, value in every_field(["prepare"]):
        assert main(["prepare", "--set", f"prepare.{name}={toml_value(value)}"]) == 0
        assert getattr(captured["prepare"], name) == value, name


@pytest.mark.parametrize(("content", "key"), [
    ("[train]\nunitz = 3\n", "train.unitz: unknown setting"),
    ("[training]\nunits = 3\n", "training: not a section"),
    ("epochs = 3\n", "epochs: settings belong in a section"),
    ("[train]\nunits = \"many\"\n", "train.units: expected an integer, got 'many'"),
    ("[train]\nhidden_units = [64, \"x\"]\n", "train.hidden_units: expected an integer"),
    ("[run]\nearly_fusion = 1\n", "run.early_fusion: expected true or false"),
    ("[train]\nbalance = \"smotey\"\n", "train: balance must be one of"),
    ("[train]\nearly_fusion_parts = [\"text_plm\", \"wav\"]\n",
     "train: early_fusion_parts: 'wav' is not a registered single modality"),
    ("[train]\nearly_fusion_parts = [\"bio\"]\n", "early_fusion_parts: a joint network needs at least two"),
    ("[train]\nearly_fusion_parts = [\"text\", \"early_fusion\"]\n",
     "'early_fusion' is not a registered single modality"),
    ("[train]\nseed = 1\n[run]\nseed = 2\n", "train.seed and run.seed are one setting"),
    ("[train\nunits = 3\n", "not a TOML file"),
])
def test_a_bad_settings_file_is_refused_with_one_line_before_any_work(tmp_path, captured, capsys, content, key):
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    assert main(["run", "--config", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {path}: ") and key in error and "\n" not in error
    assert "run" not in captured


def test_bad_set_options_are_refused_naming_the_key(captured, capsys):
    for argv, key in ((["run", "--set", "train.units=12x"], "--set: train.units: expected an integer"),
                      (["run", "--set", "units=3"], "expected SECTION.FIELD=VALUE"),
                      (train_argv("--set", "run.seed=3"), "--set: run: not a section of settings here"),
                      (["prepare", "--set", "prepare.jobs=0"], "--set: prepare: jobs must be a non-zero integer"),
                      (["prepare", "--set", "prepare.bio_normalisation=future"],
                       "--set: prepare: bio_normalisation must be one of"),
                      (["run", "--set", 'train.early_fusion_parts=["text", "text"]'],
                       "--set: train: early_fusion_parts: a joint network needs at least two distinct")):
        assert main(argv) == 2, argv
        assert key in capsys.readouterr().err
    assert not captured


def test_the_run_folder_gets_the_resolved_file_and_it_reproduces_the_settings(tmp_path, monkeypatch):
    class Stop(Exception):
        pass

    def stop(config):
        raise Stop

    monkeypatch.setattr(pipeline, "ensure_corpus", stop)  # after the configuration files are written
    monkeypatch.chdir(tmp_path)  # the default artifacts and models folders are checked (created) before that
    path = tmp_path / "e.toml"
    path.write_text(f'[run]\nruns_dir = "{tmp_path / "runs"}"\nrun_name = "first"\n[train]\nunits = 16\n',
                    encoding="utf-8")
    with pytest.raises(Stop):
        main(["run", "--config", str(path), "--epochs", "3", "--set", "prepare.deltas=true", "--folds-file", "f.json"])
    written = tmp_path / "runs" / "first" / SETTINGS_FILE
    first = load_settings(written)
    assert (first.train.units, first.train.epochs, first.prepare.deltas) == (16, 3, True)
    assert first.run.folds_file == Path("f.json")
    assert (tmp_path / "runs" / "first" / "pipeline.json").is_file()
    with pytest.raises(Stop):
        main(["run", "--config", str(written), "--run", "second"])
    second = load_settings(tmp_path / "runs" / "second" / SETTINGS_FILE)
    assert second.run.run_name == "second"
    assert dataclasses.replace(second.run, run_name="first") == first.run
    assert (second.train, second.prepare) == (first.train, first.prepare)


def test_seeds_and_dedup_text_from_the_options_the_file_and_set(tmp_path, captured):
    assert run_settings([], captured).run.seeds == 1 and not captured["run"].dedup_text
    config = captured["run"]
    assert run_settings(["--seeds", "3", "--dedup-text"], captured).run.seeds == 3 and captured["run"].dedup_text
    assert run_settings(["--set", "run.seeds=2", "--set", "run.dedup_text=true"], captured).run.seeds == 2
    path = tmp_path / "e.toml"
    path.write_text("[run]\nseeds = 4\ndedup_text = true\n", encoding="utf-8")
    assert run_settings(["--config", str(path)], captured).run.dedup_text and captured["run"].seeds == 4
    assert config.all_seeds() == (0,) and captured["run"].all_seeds() == (0, 1, 2, 3)
    assert captured["run"].seed_root(0) == captured["run"].run_root
    assert captured["run"].seed_root(2) == captured["run"].run_root / "seeds" / "seed2"
    assert main(["run", "--seeds", "0"]) == 2  # refused with one line
    with pytest.raises(SystemExit):
        main(train_argv("--dedup-text"))
    assert captured["train_kwargs"]["dedup_text"] is True
