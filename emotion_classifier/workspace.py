"""Where a notebook reads and writes: its paths from ``EMOTION_*`` environment variables, and the one
decision that must never lose data: prepare a corpus, or use prebuilt artifacts as they are.

The notebooks' first cells are this module, so the rules are tested here rather than in cell text:

- a corpus folder the user named (``EMOTION_DATA`` or the settings file's ``[run] data``) that does
  not exist is reported and nothing is generated there (the synthetic sample goes only to the default
  sample folder);
- prebuilt artifacts (``EMOTION_ARTIFACTS`` holding a finished ``manifest.json``, or a bundle of them:
  a zip or a link, unpacked once into the cache) with no corpus named are used as they are: no corpus,
  nothing prepared, nothing overwritten (`pipeline.prebuilt_artifacts`);
- preparing into a folder of another corpus's artifacts is refused by `prepare` itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from emotion_classifier.bundles.resolve import is_bundle, resolve_folder
from emotion_classifier.errors import InputError
from emotion_classifier.run_config import PipelineConfig
from emotion_classifier.settings import Settings, load_settings

ENVIRONMENT: dict[str, str] = {
    "EMOTION_CONFIG": "a settings file (experiment.toml) read first; the variables below override it",
    "EMOTION_DATA": "a KEMDy19/KEMDy20 copy to prepare; unset: prebuilt artifacts, else the synthetic sample",
    "EMOTION_ARTIFACTS": "the artifacts folder: prebuilt (used as it is without EMOTION_DATA) or prepared here; "
    "or a bundle of prebuilt ones (FILE.zip, an https:// or Drive share link: downloaded, checked, unpacked once)",
    "EMOTION_RUNS": "where runs go: RUNS/RUN/MODALITY (per-fold scores, predictions, figures), fusion, report",
    "EMOTION_MODELS": "where the final models go (what `emotion predict` and EmotionClassifier.load read)",
    "EMOTION_RUN": "the run name (default: notebooks)",
    "EMOTION_EPOCHS": "training epochs (default: the settings' train.epochs)",
    "EMOTION_FOLDS": "outer session-wise folds (default: the corpus default)",
    "EMOTION_SAMPLE_SESSIONS": "sessions of the generated sample corpus (default: the demo size)",
    "EMOTION_JOBS": "prepare's worker processes (default: all cores)",
}
"""Every variable the notebooks read, and what it means (printed by `Workspace.describe`)."""


def _int(environ: Mapping[str, str], name: str) -> int | None:
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{name}={text!r}: expected a whole number") from None


@dataclass
class Workspace:
    """The paths and settings of one notebook session (`from_environment`)."""

    settings: Settings
    data: Path | None
    """The corpus the user named (None: none named; `ready_artifacts` decides)."""
    artifacts: Path
    artifacts_named: bool
    runs: Path
    models: Path
    run_name: str = "notebooks"
    epochs: int | None = None
    folds: int | None = None
    sample_sessions: int | None = None
    jobs: int | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Workspace:
        """``EMOTION_*`` variables over the settings file ``EMOTION_CONFIG`` names over the defaults."""
        env = os.environ if environ is None else environ
        settings = load_settings(env.get("EMOTION_CONFIG") or None)
        run = settings.run
        data = env.get("EMOTION_DATA") or (None if run.data is None else str(run.data))
        artifacts = env.get("EMOTION_ARTIFACTS") or (None if run.artifacts is None else str(run.artifacts))
        if artifacts is not None and is_bundle(artifacts):  # prebuilt artifacts shared as one file or link
            artifacts = str(resolve_folder(artifacts, "artifacts"))
        config = PipelineConfig(data=None if data is None else Path(data),
                                artifacts=None if artifacts is None else Path(artifacts))  # fmt: skip
        return cls(
            settings=settings, data=config.data, artifacts=config.artifacts_dir, artifacts_named=artifacts is not None,
            runs=Path(env.get("EMOTION_RUNS") or run.runs_dir),
            models=Path(env.get("EMOTION_MODELS") or run.models_dir),
            run_name=env.get("EMOTION_RUN") or "notebooks", epochs=_int(env, "EMOTION_EPOCHS") or settings.train.epochs,
            folds=_int(env, "EMOTION_FOLDS") or run.n_folds,
            sample_sessions=_int(env, "EMOTION_SAMPLE_SESSIONS") or run.sample_sessions,
            jobs=_int(env, "EMOTION_JOBS") or settings.prepare.jobs,
        )  # fmt: skip

    def pipeline_config(self) -> PipelineConfig:
        return PipelineConfig(data=self.data, artifacts=self.artifacts if self.artifacts_named else None,
                              sample_corpus=self.settings.run.sample_corpus, sample_sessions=self.sample_sessions,
                              seed=self.settings.run.seed)  # fmt: skip

    @property
    def fold_plan(self) -> dict:
        """`train_modality`'s fold keywords: ``n_folds``, ``test_sessions``, ``folds_file``."""
        run = self.settings.run
        return {"n_folds": self.folds, "test_sessions": run.test_sessions, "folds_file": run.folds_file}

    def run_dir(self, modality: str) -> Path:
        return self.runs / self.run_name / modality

    def describe(self) -> str:
        """Where everything is read and written, one line each."""
        from emotion_classifier.pipeline import prebuilt_artifacts

        if self.data is not None:
            corpus = str(self.data)
        elif prebuilt_artifacts(self.pipeline_config()) is not None:
            corpus = "none (prebuilt artifacts are used as they are)"
        else:
            corpus = f"{self.pipeline_config().data_dir} (the synthetic sample, generated when absent)"
        return "\n".join([
            f"corpus:     {corpus}",
            f"artifacts:  {self.artifacts}",
            f"runs:       {self.runs / self.run_name} (per-fold scores, figures, fusion, report.md/.html)",
            f"models:     {self.models} (the final models and fusion.json)",
        ])  # fmt: skip

    def ready_artifacts(self, *, progress: bool = True, force: bool = False) -> Path:
        """The artifacts folder to train on: prepared from the named corpus (cached), or the prebuilt
        folder as it is, or prepared from the sample corpus (generated in the default folder only).

        A named corpus folder that does not exist raises `InputError` saying so: nothing is generated in
        a folder the user named.
        """
        from emotion_classifier.features import prepare
        from emotion_classifier.pipeline import ensure_corpus, prebuilt_artifacts

        config = self.pipeline_config()
        if self.data is not None and not self.data.exists():
            hint = (f"unset it to train from the prebuilt artifacts in {self.artifacts}"
                    if (self.artifacts / "manifest.json").is_file() else "unset it to use the synthetic sample")
            raise InputError(f"EMOTION_DATA: no corpus here; nothing is generated in a folder you named. Point it "
                             f"at your KEMDy19/KEMDy20 copy, or {hint}", self.data)  # fmt: skip
        prebuilt = prebuilt_artifacts(config)
        if prebuilt is not None:
            if progress:
                print(f"using the prebuilt artifacts in {prebuilt} as they are (no corpus named: nothing prepared)")
            return prebuilt
        data = ensure_corpus(config)
        return prepare(data, self.artifacts, self.settings.prepare, progress=progress, force=force, jobs=self.jobs)
