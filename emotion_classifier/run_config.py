"""`PipelineConfig`: every path and setting of one ``emotion run``.

Its own module so that the settings file reader (`settings.py`) and the pipeline that writes the
resolved file back (`pipeline.py`) both build on it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from emotion_classifier import registry
from emotion_classifier.cluster import check_address
from emotion_classifier.errors import InputError

DEFAULT_DATA = Path("data/sample_kemdy19")
DEFAULT_ARTIFACTS = Path("data/artifacts")


@dataclass
class PipelineConfig:
    """Every path and setting of one ``emotion run``; written to ``runs/NAME/pipeline.json`` and, with
    every default spelt out, to ``runs/NAME/experiment.toml`` (`emotion_classifier.settings`).

    ``folds_file``: a published fold list (`training.folds.read_folds_file`) instead of ``n_folds``.
    ``dedup_text``: leave out, in each fold, the training/validation rows whose transcript equals a test
    row's (`training.train.test_text_rows`). ``seeds``: the cross-validation is repeated with seeds
    ``seed``, ``seed + 1``, ...; the first seed's runs are ``runs/NAME/M``, the others
    ``runs/NAME/seeds/seed<K>/M`` (`seed_root`), so a score's spread over seeds can be reported.
    ``cluster``: ``local`` or a Dask scheduler address (``tcp://HOST:8786``) that runs prepare's chunks and
    the (model, seed, fold) trainings (`emotion_classifier.cluster`); None runs them here. It changes where
    the work runs, never a number.
    """

    data: Path | None = None
    artifacts: Path | None = None
    runs_dir: Path = Path("runs")
    run_name: str = "demo"
    models_dir: Path = Path("h5_models")
    sample_corpus: str = "kemdy19"
    sample_sessions: int | None = None
    modalities: tuple[str, ...] = field(default_factory=lambda: registry.modality_names(joint=False, default_only=True))
    early_fusion: bool = True
    fusion_methods: tuple[str, ...] = field(default_factory=lambda: registry.fusion_method_names(default_only=True))
    n_folds: int | None = None
    test_sessions: tuple[int, ...] | None = None
    seed: int = 0
    train_settings: dict = field(default_factory=dict)
    prepare_settings: dict = field(default_factory=dict)
    folds_file: Path | None = None
    dedup_text: bool = False
    seeds: int = 1
    cluster: str | None = None

    def __post_init__(self) -> None:
        try:
            self.cluster = check_address(self.cluster)
        except InputError as exc:
            raise ValueError(f"cluster: {exc.message}") from None
        if self.seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {self.seeds}")
        # 0 folds used to fall through ``n_folds or default`` and run the default count silently.
        if self.n_folds is not None and self.n_folds < 2:
            raise ValueError(f"n_folds (--folds) must be at least 2, got {self.n_folds}")
        if self.sample_sessions is not None and self.sample_sessions < 1:
            raise ValueError(f"sample_sessions (--sessions) must be at least 1, got {self.sample_sessions}")

    @property
    def data_dir(self) -> Path:
        return Path(self.data) if self.data is not None else DEFAULT_DATA

    @property
    def artifacts_dir(self) -> Path:
        """data/artifacts for the sample corpus (where the notebooks look); one folder per other corpus."""
        if self.artifacts is not None:
            return Path(self.artifacts)
        if self.data is None:
            return DEFAULT_ARTIFACTS
        return DEFAULT_ARTIFACTS.parent / f"artifacts_{Path(self.data).name}"

    @property
    def run_root(self) -> Path:
        return Path(self.runs_dir) / self.run_name

    def all_seeds(self) -> tuple[int, ...]:
        """The seed of each repetition of the cross-validation, the first one being ``seed``."""
        return tuple(range(self.seed, self.seed + self.seeds))

    def seed_root(self, seed: int) -> Path:
        """Where the runs of ``seed`` go: the run root for the first seed (the single-seed layout)."""
        from emotion_classifier.training.runs import SEEDS_FOLDER  # pandas and scikit-learn: only when asked

        return self.run_root if seed == self.seed else self.run_root / SEEDS_FOLDER / f"seed{seed}"

    def to_dict(self) -> dict:
        return {
            "data": str(self.data_dir), "artifacts": str(self.artifacts_dir), "run_root": str(self.run_root),
            "models_dir": str(self.models_dir), "sample_corpus": self.sample_corpus,
            "sample_sessions": self.sample_sessions, "modalities": list(self.modalities),
            "early_fusion": self.early_fusion, "fusion_methods": list(self.fusion_methods),
            "n_folds": self.n_folds, "test_sessions": None if self.test_sessions is None else list(self.test_sessions),
            "seed": self.seed, "train_settings": self.train_settings, "prepare_settings": self.prepare_settings,
            "folds_file": None if self.folds_file is None else str(self.folds_file),
            "dedup_text": self.dedup_text, "seeds": self.seeds, "cluster": self.cluster,
        }
