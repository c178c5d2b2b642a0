"""The whole pipeline in one call: what ``emotion run`` and ``make demo`` do.

raw corpus -> ``prepare`` (artifacts) -> ``train_modality`` per modality (runs/NAME/M) ->
``fuse_runs`` (runs/NAME/fusion) -> ``write_report`` (runs/NAME/report.md + .html).
Every stage is resumable, so an interrupted ``emotion run`` picks up where it stopped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from emotion_classifier import registry
from emotion_classifier.run_config import DEFAULT_ARTIFACTS, DEFAULT_DATA, PipelineConfig
from emotion_classifier.run_estimate import RunClock, corpus_size, estimate_line, model_fits, stage_estimates

__all__ = ["DEFAULT_ARTIFACTS", "DEFAULT_DATA", "PipelineConfig", "run_pipeline"]

def _log(message: str) -> None:
    print(f"[emotion run] {message}", flush=True)


def _timed(name: str, timings: dict, work: Callable[[], object], clock: RunClock | None = None) -> object:
    if clock is not None:
        _log(clock.start(name))
    started = time.perf_counter()
    result = work()
    timings[name] = round(time.perf_counter() - started, 2)
    _log(f"{name} done in {timings[name]:.1f} s")
    if clock is not None:
        clock.done(name, timings[name])
    return result


def run_clock(config: PipelineConfig, data: Path) -> RunClock | None:
    """The estimate of the whole run (logged as one line before any work on the corpus) and the clock
    that gives each stage's ETA (`run_estimate`: rough, calibrated on a 2-core CPU). None for a folder
    that is not a corpus: `prepare` then says why, in one line."""
    from emotion_classifier.datasets import detect_corpus
    from emotion_classifier.errors import InputError
    from emotion_classifier.training.estimators import TrainConfig
    from emotion_classifier.training.folds import default_n_folds

    try:
        corpus = detect_corpus(data)
    except InputError:
        return None
    size = corpus_size(data)
    n_folds = 1 if config.test_sessions is not None else config.n_folds or default_n_folds(corpus, size.sessions)
    models = model_names(config)
    single = [m for m in models if m in config.modalities]
    train = TrainConfig(**config.train_settings)
    stages = stage_estimates(size, models, n_folds=n_folds, epochs=train.epochs, max_frames=train.max_frames,
                             patience=train.patience, seeds=config.all_seeds(), fusion=len(single) >= 2)
    _log(estimate_line(size, stages, model_fits(n_folds, len(config.all_seeds())), len(models)))
    return RunClock(stages)


def ensure_corpus(config: PipelineConfig) -> Path:
    """The corpus to run on: the user's, or the synthetic sample, generated when absent."""
    data = config.data_dir
    if config.data is not None or (data / "annotation").is_dir():
        return data
    from emotion_classifier.datasets.synthetic import generate_corpus

    _log(f"no corpus at {data}: generating the synthetic sample corpus there (numbers on it mean nothing "
         "about real emotions)")
    generate_corpus(data, corpus=config.sample_corpus, sessions=config.sample_sessions, seed=config.seed)
    return data


def prebuilt_artifacts(config: PipelineConfig) -> Path | None:
    """The finished artifacts folder to train on as it is, without a corpus, or None to prepare.

    ``--artifacts DIR`` holding a manifest and no ``--data``: DIR was prepared elsewhere (prebuilt
    artifacts on Google Drive) and is used as it is; nothing is generated or prepared, so no sample
    corpus can overwrite it. The default artifacts folder is used so only when the sample corpus is
    absent (otherwise it is prepared from the sample, as before).
    """
    from emotion_classifier.features.artifacts import MANIFEST

    folder = config.artifacts_dir
    if config.data is not None or not (folder / MANIFEST).is_file():
        return None
    if config.artifacts is None and (config.data_dir / "annotation").is_dir():
        return None
    return folder


def _settings_not_applied(config: PipelineConfig, artifacts: Path) -> list[str]:
    """Prepare settings given for this run that differ from those the prebuilt artifacts were made with."""
    from emotion_classifier.features.config import PrepareConfig
    from emotion_classifier.features.freshness import output_settings
    from emotion_classifier.files import json_safe, read_json

    made = output_settings(read_json(artifacts / "manifest.json").get("config") or {})
    asked = output_settings(json_safe(PrepareConfig(**config.prepare_settings).as_dict()))
    return sorted(k for k in asked if k in made and made[k] != asked[k])


def joint_networks(config: PipelineConfig) -> dict[str, tuple[str, ...]]:
    """Each registered joint network ``emotion run`` may train (``early_fusion`` on) -> the parts its
    training settings choose (``train.early_fusion_parts``)."""
    from emotion_classifier.training.estimators import TrainConfig

    if not config.early_fusion:
        return {}
    settings = TrainConfig(**config.train_settings)
    return {m: registry.joint_parts(m, settings) for m in registry.modality_names(joint=True, default_only=True)}


def model_names(config: PipelineConfig) -> list[str]:
    """The models to cross-validate: each chosen single modality, then (``early_fusion``) the registered
    joint networks whose parts were all chosen."""
    names = [m for m in config.modalities if m in registry.modality_names(joint=False)]
    return names + [m for m, parts in joint_networks(config).items() if set(parts) <= set(names)]


def note_skipped_joint(config: PipelineConfig) -> None:
    """Say which joint network is not trained because some of its parts are not among the chosen modalities
    (a network over modalities nobody prepared and scored alone would be compared with nothing)."""
    for name, parts in joint_networks(config).items():
        if missing := [p for p in parts if p not in config.modalities]:
            setting = registry.modality(name).parts_setting
            _log(f"{name} not trained: its parts {', '.join(missing)} are not among the modalities "
                 f"({', '.join(config.modalities)}); add them{f' or set train.{setting}' if setting else ''}")


def refuse_untrainable(config: PipelineConfig) -> None:
    """Settings a model cannot train with stop the run before anything is prepared or trained (an
    `InputError` naming what works instead), rather than when training reaches that model."""
    from emotion_classifier.training.estimators import TrainConfig, check_trainable

    for name in model_names(config):
        check_trainable(name, TrainConfig(seed=config.seed, **config.train_settings))


def record_prediction_fusion(config: PipelineConfig, trained: tuple[str, ...]) -> Path | None:
    """Write ``models_dir/fusion.json``: of the fusions prediction can apply, the one this run scored
    best on its validation sessions (never on test rows, which stay an honest estimate of the choice).

    Without any scored fusion (None returned) a ``fusion.json`` left there by an earlier run is
    removed: it described the models this run has just replaced.
    """
    from emotion_classifier.fusion.prediction_choice import FUSION_FILE, choose_prediction_fusion, save_fusion_weights

    late = [m for m in trained if m in config.modalities]
    joint = [m for m in trained if registry.modality(m).joint]
    choice = choose_prediction_fusion(config.run_root, late, early_fusion=bool(joint))
    if choice is None:
        stale = Path(config.models_dir) / FUSION_FILE
        if stale.is_file():
            stale.unlink()
            _log(f"removed {stale} (an earlier run's choice)")
        _log("no fusion has validation predictions: prediction averages the models with equal weights")
        return None
    path = save_fusion_weights(config.models_dir, **choice)
    _log(f"{path}: {choice['reason']}")
    return path


def cross_validate(config: PipelineConfig, artifacts: Path, seed: int, timings: dict,
                   progress: bool = True, clock: RunClock | None = None) -> tuple[str, ...]:
    """Every model and the late fusion of one seed, into ``config.seed_root(seed)``; returns the models.

    Only the first seed trains the final models: ``predict`` needs one set, and the other seeds
    exist to show how much the scores move with the seed.
    """
    from emotion_classifier.fusion.late import fuse_runs
    from emotion_classifier.training.estimators import TrainConfig
    from emotion_classifier.training.train import train_modality

    root, first = config.seed_root(seed), seed == config.seed
    train_config = TrainConfig(seed=seed, **config.train_settings)
    tag = "" if first else f" seed {seed}"
    run_dirs = {}
    for name in model_names(config):
        _log(f"training {name}{tag} ({'session-wise folds' if config.test_sessions is None else 'one split'})")
        run_dirs[name] = root / name
        _timed(f"train {name}{tag}", timings, lambda n=name: train_modality(
            artifacts, n, train_config, root / n, models_dir=config.models_dir, n_folds=config.n_folds,
            test_sessions=config.test_sessions, progress=progress, folds_file=config.folds_file,
            final_model=first, dedup_text=config.dedup_text), clock)
    late = {m: d for m, d in run_dirs.items() if m in config.modalities}
    if len(late) >= 2:
        _timed(f"fusion{tag}", timings, lambda: fuse_runs(late, root / "fusion", methods=config.fusion_methods),
               clock)
    return tuple(run_dirs)


def train_on_cluster(config: PipelineConfig, artifacts: Path, progress: bool = True) -> None:
    """Every unfinished (model, seed, fold) of the run as one batch of cluster jobs (``--cluster``).

    Each run folder is started as `train_modality` starts it, so the serial `cross_validate` that
    follows finds every fold stored and only scores, draws, fuses and trains the final models.
    """
    from emotion_classifier.training.estimators import TrainConfig
    from emotion_classifier.training.train import run_fold_jobs, start_run, unfinished_folds

    jobs = []
    for seed in config.all_seeds():
        train_config = TrainConfig(seed=seed, **config.train_settings)
        for name in model_names(config):
            *_, folds, paths = start_run(artifacts, name, train_config, config.seed_root(seed) / name,
                                         models_dir=config.models_dir, n_folds=config.n_folds,
                                         test_sessions=config.test_sessions, folds_file=config.folds_file,
                                         dedup_text=config.dedup_text)
            jobs += unfinished_folds(artifacts, name, train_config, paths, folds)
    _log(f"{len(jobs)} folds to train on the cluster")
    run_fold_jobs(jobs, progress=progress)


def run_pipeline(config: PipelineConfig | None = None, *, progress: bool = True) -> Path:
    """Run every stage and return the path of ``report.md``; writes the configuration first."""
    from emotion_classifier.cluster import open_cluster
    from emotion_classifier.features import prepare
    from emotion_classifier.features.identity import check_output_folder
    from emotion_classifier.reporting.report import write_report
    from emotion_classifier.settings import SETTINGS_FILE, settings_from_pipeline, write_settings

    config = config or PipelineConfig()
    refuse_untrainable(config)
    note_skipped_joint(config)
    if prebuilt_artifacts(config) is None and config.data_dir.is_dir():  # another corpus's artifacts: refused now
        check_output_folder(config.data_dir, config.artifacts_dir)
    root = config.run_root
    root.mkdir(parents=True, exist_ok=True)
    (root / "pipeline.json").write_text(json.dumps(config.to_dict(), indent=2), encoding="utf-8")
    write_settings(root / SETTINGS_FILE, settings_from_pipeline(config))
    timings: dict[str, float] = {}
    artifacts, clock = prebuilt_artifacts(config), None
    with open_cluster(config.cluster) as client:
        if client is not None:
            _log(f"--cluster {config.cluster}: {len(client.scheduler_info().get('workers', {}))} workers")
        if artifacts is not None:
            _log(f"training on the finished artifacts in {artifacts} as they are (no --data: nothing prepared)")
            if differing := _settings_not_applied(config, artifacts):
                _log(f"note: prepare settings not applied (no corpus to prepare from): {', '.join(differing)}")
        else:
            data = _timed("corpus", timings, lambda: ensure_corpus(config))
            clock = run_clock(config, data)
            artifacts = _timed("prepare", timings, lambda: prepare(data, config.artifacts_dir, progress=progress,
                                                                    **config.prepare_settings), clock)
        if config.cluster is not None:
            _timed("folds on the cluster", timings, lambda: train_on_cluster(config, artifacts, progress))
        trained = [cross_validate(config, artifacts, seed, timings, progress, clock) for seed in config.all_seeds()]
    record_prediction_fusion(config, trained[0])
    report = _timed("report", timings, lambda: write_report(root, manifest_path=Path(artifacts) / "manifest.json"),
                    clock)
    (root / "timings.json").write_text(json.dumps(timings, indent=2), encoding="utf-8")
    print(comparison_table(root))
    _log(f"report: {report} (and {Path(report).with_suffix('.html')})")
    return Path(report)


def comparison_table(run_root: Path) -> str:
    """The report's comparison table (every model, pooled scores with 95% intervals), for the end of the
    console output."""
    from emotion_classifier.reporting.report import comparison
    from emotion_classifier.reporting.run_contents import collect_run

    tables = [b.markdown for b in comparison(collect_run(run_root)) if b.markdown.startswith("| model |")]
    return tables[0] if tables else "no scored model"

