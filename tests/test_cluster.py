"""``--cluster`` (issue 11, item 5): a run's jobs on a Dask LocalCluster on the loopback address.

The same seed gives the same bytes as the serial run, a finished fold is never trained again, a job whose
worker dies runs again, and an unreachable scheduler is one line. Each cluster has two workers (one per
core of CI's machine); most of the time here is those workers importing TensorFlow.
"""

import filecmp
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the [cluster] extra")

from emotion_classifier import cluster  # noqa: E402
from emotion_classifier.cli import main  # noqa: E402
from emotion_classifier.datasets.synthetic import generate_corpus  # noqa: E402
from emotion_classifier.errors import InputError  # noqa: E402
from emotion_classifier.files import read_json  # noqa: E402
from emotion_classifier.training import runs  # noqa: E402

PREPARE = ["--quiet", "--set", "prepare.chunk_size=8"]  # several chunks per stage on 4 sessions
RUN = ["--folds", "2", "--seeds", "2", "--epochs", "1", "--set", 'run.modalities=["bio"]', "--no-early-fusion",
       "--quiet"]  # fmt: skip
SEED_DIRS = ("bio", "seeds/seed1/bio")


@pytest.fixture(autouse=True)
def two_workers(monkeypatch):
    monkeypatch.setattr(cluster, "local_workers", lambda: 2)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A 4-session corpus prepared serially (``--jobs 1``) and on a LocalCluster."""
    root = tmp_path_factory.mktemp("cluster")
    generate_corpus(root / "corpus", corpus="kemdy19", sessions=4, seed=3)
    for name, how in (("serial", ["--jobs", "1"]), ("cluster", ["--cluster", "local"])):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(cluster, "local_workers", lambda: 2)
            assert main(["prepare", "--data", str(root / "corpus"), "--out", str(root / name), *how, *PREPARE]) == 0
    return root


def _files(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}


def test_prepare_on_a_cluster_writes_the_serial_artifacts_byte_for_byte(prepared):
    serial, on_cluster = _files(prepared / "serial"), _files(prepared / "cluster")
    assert serial.keys() == on_cluster.keys()
    assert sum(name.startswith(".cache/audio/") for name in serial) >= 2  # several chunks went to the workers
    different = [n for n in serial if n != "manifest.json" and not filecmp.cmp(serial[n], on_cluster[n], shallow=False)]
    assert not different
    keys = [{s: v["key"] for s, v in read_json(f / "manifest.json")["stages"].items()} for f in (prepared / "serial",
                                                                                                 prepared / "cluster")]
    assert keys[0] == keys[1]


def _finished_fold0(serial: Path, target: Path) -> None:
    """``target``: the serial run's first fold only, as an interrupted run leaves it."""
    (target / "models").mkdir(parents=True)
    for name in ("config.json", "folds.json", "history_fold0.csv"):
        (target / name).write_bytes((serial / name).read_bytes())
    for model in (serial / "models").glob("fold0.*"):
        (target / "models" / model.name).write_bytes(model.read_bytes())
    paths = runs.RunPaths(target)
    for path in (paths.oof, paths.val):
        rows = runs.read_oof(serial / path.name)
        runs.store_fold_predictions(path, rows[rows["fold"] == 0])


def test_a_run_on_a_cluster_equals_the_serial_run_and_keeps_finished_folds(prepared, capsys):
    """`emotion run --cluster local`, 2 seeds x 2 folds of bio, each seed's first fold finished before (as an
    interrupted run leaves it): those are not trained again (their files untouched), the second folds of both
    seeds train at once on the two workers, and every number equals the serial run's."""
    artifacts, runs_dir = str(prepared / "serial"), prepared / "runs"
    assert main(["run", "--artifacts", artifacts, "--runs-dir", str(runs_dir), "--run", "serial",
                 "--models", str(prepared / "m1"), *RUN]) == 0  # fmt: skip
    kept = {}
    for seed_dir in SEED_DIRS:
        resumed = runs_dir / "cluster" / seed_dir
        _finished_fold0(runs_dir / "serial" / seed_dir, resumed)
        kept.update({p: p.stat().st_mtime_ns for p in [resumed / "history_fold0.csv",
                                                        *(resumed / "models").glob("fold0.*")]})
    capsys.readouterr()
    assert main(["run", "--artifacts", artifacts, "--runs-dir", str(runs_dir), "--run", "cluster",
                 "--models", str(prepared / "m2"), "--cluster", "local", *RUN]) == 0  # fmt: skip
    assert "2 folds to train on the cluster" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    for seed_dir in SEED_DIRS:
        for name in ("oof_predictions.csv", "val_predictions.csv", "metrics.json", "history_fold0.csv",
                     "history_fold1.csv"):
            serial, other = runs_dir / "serial" / seed_dir / name, runs_dir / "cluster" / seed_dir / name
            assert filecmp.cmp(serial, other, shallow=False), f"{seed_dir}/{name} differs from the serial run's"


def test_a_job_whose_worker_dies_runs_again(tmp_path):
    """The first attempt kills its own worker process (as an out-of-memory kill would); the scheduler gives
    the job to the replacement worker and the run goes on."""
    marker = tmp_path / "attempts"

    def job(item):
        import os

        with open(marker, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        if len(marker.read_text().split()) == 1:
            os._exit(1)
        return item * 10

    results = []
    with cluster.open_cluster("local", n_workers=1) as client:
        cluster.run_jobs(client, job, [4], results.append, progress=False)
    assert results == [40]
    pids = marker.read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1]


def test_an_unreachable_scheduler_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    generate_corpus(tmp_path / "corpus", corpus="kemdy19", sessions=2, seed=0)
    code = main(["prepare", "--data", str(tmp_path / "corpus"), "--out", str(tmp_path / "out"),
                 "--cluster", "tcp://127.0.0.1:9", "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: tcp://127.0.0.1:9: cannot reach the Dask scheduler")
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_bad_cluster_setting_is_refused_before_any_work(tmp_path, capsys):
    code = main(["train", "--artifacts", str(tmp_path), "--modality", "bio", "--cluster", "scheduler"])
    assert code == 2
    assert "cluster: expected 'local' or a scheduler address" in capsys.readouterr().err


def test_without_dask_the_error_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(InputError, match=r"\[cluster\]"), cluster.open_cluster("local"):
        pass


def test_a_fold_that_fails_on_a_worker_raises_its_error_here(tmp_path):
    """What a worker's fold process hands back for a fold that fails: the caller raises the same error."""
    import pickle

    from emotion_classifier.training import fold_process, train
    from emotion_classifier.training.estimators import TrainConfig

    job = train.FoldJob(tmp_path / "no_artifacts", "bio", TrainConfig(), tmp_path / "run", fold=None)
    (tmp_path / "job").write_bytes(pickle.dumps(job))
    assert fold_process.main([str(tmp_path / "job"), str(tmp_path / "result")]) == 1
    with pytest.raises(InputError, match="no_artifacts"):
        train._store_fold_result((tmp_path / "result").read_bytes())
