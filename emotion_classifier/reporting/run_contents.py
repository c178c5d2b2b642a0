"""What a run root holds, gathered once for the report: the scored models and the run's facts.

The report must work on partial runs (one modality trained, no fusion yet, no manifest), so
everything here returns "absent" instead of failing, and the sections say what is missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from emotion_classifier import registry
from emotion_classifier.errors import InputError
from emotion_classifier.files import read_json
from emotion_classifier.fusion.late import COMBINATIONS_FILE, CONFIG_FILE
from emotion_classifier.fusion.prediction_choice import validation_score
from emotion_classifier.training.metrics import score_predictions
from emotion_classifier.training.runs import SEEDS_FOLDER, RunPaths, package_versions, read_oof

FUSION_FOLDER = "fusion"
SYNTHETIC_KEYS: tuple[str, ...] = ("synthetic", "is_synthetic")


@dataclass(frozen=True)
class ScoredModel:
    """One row of the comparison: a modality run or a fusion method, with its files."""

    name: str
    group: str  # "modality" or "fusion"
    paths: RunPaths
    metrics: dict

    @property
    def slug(self) -> str:
        return self.name.replace("/", "_")

    @cached_property
    def oof(self) -> pd.DataFrame:
        """The out-of-fold predictions, read once (several sections draw from them); do not modify."""
        return read_oof(self.paths.oof)

    def histories(self) -> dict[int, pd.DataFrame]:
        return self.paths.histories()

    @cached_property
    def validation_macro_f1(self) -> float | None:
        """Macro-F1 on the validation sessions (mean over folds; None without ``val_predictions.csv``):
        what the report chooses by, so that no choice looks at test rows."""
        return validation_score(self.paths.root, "macro_f1")

    @cached_property
    def config(self) -> dict | None:
        """``config.json`` (None for a fusion method), read once: the report's sections share it."""
        return read_json(self.paths.config) if self.paths.config.is_file() else None


@dataclass
class RunContents:
    """Everything the report reads from a run root; ``absent`` lists what was looked for and not found."""

    root: Path
    models: list[ScoredModel]
    manifest: dict | None
    manifest_path: Path | None
    combinations: dict | None
    fusion_config: dict | None
    absent: list[str] = field(default_factory=list)
    seeds: dict[str, list[ScoredModel]] = field(default_factory=dict)
    """The models of each further seed (``runs/NAME/seeds/seed<K>``), by folder name; empty for one seed."""

    def of_group(self, group: str) -> list[ScoredModel]:
        return [m for m in self.models if m.group == group]

    def seed_models(self, name: str) -> list[ScoredModel]:
        """The model called ``name`` in every seed that scored it, the run root's first."""
        found = [m for m in self.models if m.name == name]
        return found + [m for models in self.seeds.values() for m in models if m.name == name]

    def configs(self) -> dict[str, dict]:
        """``config.json`` of each modality run (in report order)."""
        found = {m.name: m.config for m in self.of_group("modality")}
        return {name: config for name, config in found.items() if config is not None}


def _ordered(names: Iterable[str], preferred: tuple[str, ...]) -> list[str]:
    names = set(names)
    return [n for n in preferred if n in names] + sorted(names - set(preferred))


def _scored(folder: Path, name: str, group: str, absent: list[str]) -> ScoredModel | None:
    paths = RunPaths(folder)
    if not paths.metrics.is_file() or not paths.oof.is_file():
        absent.append(f"{name}: no metrics.json/oof_predictions.csv in {folder} (not trained or unfinished)")
        return None
    metrics = read_json(paths.metrics)
    if "by_kind" not in (metrics.get("bootstrap") or {}):  # written before pooled scores or per-kind
        metrics = {**metrics, **score_predictions(read_oof(paths.oof))}  # intervals: score it as now
    return ScoredModel(name=name, group=group, paths=paths, metrics=metrics)


def _models(root: Path, absent: list[str]) -> list[ScoredModel]:
    folders = {p.name for p in root.iterdir()
               if p.is_dir() and ((p / "config.json").is_file() or (p / "metrics.json").is_file())}
    folders.discard(FUSION_FOLDER)
    expected = registry.modality_names(joint=False, default_only=True)
    absent.extend(f"{m}: no run folder {root / m}" for m in expected if m not in folders)
    models = [_scored(root / n, n, "modality", absent) for n in _ordered(folders, registry.modality_names())]
    fusion = root / FUSION_FOLDER
    methods = {p.name for p in fusion.iterdir() if p.is_dir()} if fusion.is_dir() else set()
    if not methods:
        absent.append(f"late fusion: no {fusion} folder")
    models += [_scored(fusion / n, f"{FUSION_FOLDER}/{n}", "fusion", absent)
               for n in _ordered(methods, registry.fusion_method_names())]
    return [m for m in models if m is not None]


def _seed_of(folder: Path) -> int | None:
    number = folder.name.removeprefix("seed")
    return int(number) if folder.name.startswith("seed") and number.isdigit() else None


def _seeds_asked(root: Path) -> set[int] | None:
    """The further seeds ``pipeline.json`` asked for (None without one): a folder left by an earlier run
    with more seeds must not count as a seed of this one."""
    path = root / "pipeline.json"
    if not path.is_file():
        return None
    config = read_json(path)
    first = int(config.get("seed", 0))
    return set(range(first + 1, first + int(config.get("seeds", 1))))


def _seed_runs(root: Path) -> dict[str, list[ScoredModel]]:
    """The scored models of each ``seeds/seed<K>`` folder of this run, in seed order."""
    folder = root / SEEDS_FOLDER
    if not folder.is_dir():
        return {}
    asked = _seeds_asked(root)
    found = [p for p in folder.iterdir()
             if p.is_dir() and _seed_of(p) is not None and (asked is None or _seed_of(p) in asked)]
    return {p.name: _models(p, []) for p in sorted(found, key=_seed_of)}


def _manifest_location(configs: Mapping[str, dict], manifest_path: Path | None) -> Path | None:
    if manifest_path is not None:
        return Path(manifest_path)
    for config in configs.values():
        if config.get("artifacts"):
            artifacts = Path(config["artifacts"])
            return artifacts / "manifest.json" if artifacts.suffix != ".json" else artifacts
    return None


def _optional_json(path: Path | None, absent: list[str], what: str) -> dict | None:
    if path is None or not path.is_file():
        absent.append(f"{what}: {'not recorded' if path is None else f'{path} not found'}")
        return None
    return read_json(path)


def collect_run(run_root: str | Path, manifest_path: str | Path | None = None) -> RunContents:
    """Read what the run root holds; the artifacts manifest comes from the runs' ``config.json``."""
    root = Path(run_root)
    if not root.is_dir():
        raise InputError("run folder not found", root)
    absent: list[str] = []
    models = _models(root, absent)
    configs = {m.name: m.config or {} for m in models if m.group == "modality"}
    location = _manifest_location(configs, None if manifest_path is None else Path(manifest_path))
    manifest = _optional_json(location, absent, "artifacts manifest")
    fusion = root / FUSION_FOLDER
    combinations = _optional_json(fusion / COMBINATIONS_FILE, absent, "modality combinations") \
        if fusion.is_dir() else None
    fusion_config = read_json(fusion / CONFIG_FILE) if (fusion / CONFIG_FILE).is_file() else None
    return RunContents(root=root, models=models, manifest=manifest, manifest_path=location,
                       combinations=combinations, fusion_config=fusion_config, absent=absent,
                       seeds=_seed_runs(root))


def find_value(obj, keys: tuple[str, ...]):
    """The first value stored under any of ``keys`` in nested dicts/lists (depth first), else None.

    The manifest's layout belongs to the preprocessing stage; searching by key keeps the report
    working when sections move.
    """
    if isinstance(obj, Mapping):
        for key in keys:
            if key in obj and obj[key] not in (None, ""):
                return obj[key]
        children = obj.values()
    elif isinstance(obj, list):
        children = obj
    else:
        return None
    for child in children:
        found = find_value(child, keys)
        if found is not None:
            return found
    return None


def data_path(contents: RunContents) -> str | None:
    value = find_value(contents.manifest, ("data", "data_path", "data_root", "corpus_root", "root"))
    return None if value is None else str(value)


def is_synthetic(contents: RunContents) -> bool:
    """True when the manifest flags the data as synthetic or the data folder carries a synthetic marker.

    The generator marks its corpus; a real KEMDy copy never holds such a file.
    """
    if find_value(contents.manifest, SYNTHETIC_KEYS):
        return True
    root = data_path(contents)
    if root is None or not Path(root).is_dir():
        return False
    return any("synthetic" in p.name.lower() for p in Path(root).iterdir() if p.is_file())


def run_versions(contents: RunContents) -> tuple[dict, str]:
    """Package versions recorded by the runs, else those of the environment writing the report."""
    for config in contents.configs().values():
        if config.get("versions"):
            return config["versions"], "recorded by the training run"
    return package_versions(), "of the environment that wrote this report (the runs recorded none)"


def sessions_scored(contents: RunContents) -> list[int]:
    """Every session that appears in some model's out-of-fold predictions."""
    sessions: set[int] = set()
    for model in contents.of_group("modality") or contents.models:
        sessions.update(int(s) for s in model.oof["session"].dropna().unique())
    return sorted(sessions)
