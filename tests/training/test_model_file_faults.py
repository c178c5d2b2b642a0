"""The fault battery's model files (issue 13, item 5): a damaged model, JSON sidecar, fusion file or run
file ends `emotion predict` and `emotion evaluate` in exit status 2 and one stderr line naming it.

One small bio run (3 sessions, 3 folds, one epoch) is trained for the module; each case damages a copy.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from emotion_classifier.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """(run folder runs/default/bio, final models folder)."""
    from emotion_classifier.datasets.synthetic import generate_corpus

    base = tmp_path_factory.mktemp("model_faults")
    generate_corpus(base / "corpus", corpus="kemdy19", sessions=3, seed=1)
    assert main(["prepare", "--data", str(base / "corpus"), "--out", str(base / "artifacts"), "--jobs", "1",
                 "--quiet"]) == 0  # fmt: skip
    assert main(["train", "--artifacts", str(base / "artifacts"), "--modality", "bio", "--epochs", "1", "--folds", "3",
                 "--runs-dir", str(base / "runs"), "--models", str(base / "models"), "--quiet",
                 "--set", "train.hidden_units=[8]"]) == 0  # fmt: skip
    return base / "runs" / "default" / "bio", base / "models"


def _half(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": _half,
    "empty": lambda p: p.write_bytes(b""),
    "not a zip": lambda p: p.write_bytes(b"\x89PNG\r\n" * 64),
    "broken JSON": lambda p: p.write_text('{"modality": ', encoding="utf-8"),
    "a JSON list": lambda p: p.write_text("[]", encoding="utf-8"),
    "binary": lambda p: p.write_bytes(b"\xff\xfe\x00\x01" * 16),
    "other labels": lambda p: p.write_text(p.read_text(encoding="utf-8").replace('"angry"', '"furious"', 1),
                                           encoding="utf-8"),
    "unknown method": lambda p: p.write_text(json.dumps({"method": "nope", "weights": {"bio": 1.0}}), encoding="utf-8"),
    "an empty object": lambda p: p.write_text("{}", encoding="utf-8"),
    "a list of text": lambda p: p.write_text('["fold0"]', encoding="utf-8"),
}
PREDICT = [("bio.keras", d) for d in ("truncated", "empty", "not a zip")] + [
    ("bio.json", d) for d in ("broken JSON", "a JSON list", "binary", "other labels")] + [
    ("fusion.json", d) for d in ("broken JSON", "a JSON list", "unknown method")]  # fmt: skip
EVALUATE = [("models/fold0.keras", d) for d in ("truncated", "empty")] + [
    ("models/fold0.json", d) for d in ("broken JSON", "a JSON list")] + [
    ("config.json", d) for d in ("broken JSON", "an empty object")] + [
    ("folds.json", d) for d in ("broken JSON", "a list of text")] + [
    ("oof_predictions.csv", d) for d in ("binary", "empty")]  # fmt: skip


def _one_line_naming(capsys, path: Path) -> None:
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path}"), err
    assert "Traceback" not in captured.out


@pytest.mark.parametrize(("name", "damage"), PREDICT, ids=[f"{n} {d}" for n, d in PREDICT])
def test_predict_names_a_damaged_model_file(trained, tmp_path, capsys, name, damage):
    models = Path(shutil.copytree(trained[1], tmp_path / "models"))
    if name == "fusion.json":
        (models / name).write_text(json.dumps({"method": "soft_vote", "weights": {"bio": 1.0}}), encoding="utf-8")
        main(["predict", "--models", str(models), "--text", "안녕하세요"])  # undamaged, it loads: only the bio
        assert "no bio file given" in capsys.readouterr().err  # input is missing (a bio model reads no text)
    DAMAGE[damage](models / name)
    assert main(["predict", "--models", str(models), "--text", "안녕하세요"]) == 2
    _one_line_naming(capsys, models / name)


@pytest.mark.parametrize(("name", "damage"), EVALUATE, ids=[f"{n} {d}" for n, d in EVALUATE])
def test_evaluate_names_a_damaged_run_file(trained, tmp_path, capsys, name, damage):
    run = Path(shutil.copytree(trained[0], tmp_path / "bio"))
    DAMAGE[damage](run / name)
    assert main(["evaluate", "--run", str(run)]) == 2
    _one_line_naming(capsys, run / name)
