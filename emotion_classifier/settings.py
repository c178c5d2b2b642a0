"""One settings file for a whole experiment: ``[prepare]``, ``[train]`` and ``[run]`` in one TOML file.

An experiment is decided by some sixty settings spread over three dataclasses (`PrepareConfig`,
`TrainConfig`, `PipelineConfig`); a file holding all of them is what can be shared, versioned and
rerun, and ``runs/NAME/experiment.toml`` gives each run its settings back in that form. Every
field of the three dataclasses is a key of its section, and on the command line
``--set SECTION.FIELD=VALUE`` (VALUE read as a TOML value). Precedence: dataclass defaults <
settings file < command-line options and ``--set``. Names and types are checked before any work,
with one line naming the file (or ``--set``) and the key.

TOML has no null: a field whose default is None is left out of a written file (a comment lists
it), and ``""`` sets such a field back to None. ``train.seed`` and ``run.seed`` are one setting
(the pipeline trains with its own seed), so giving both with different values is refused.
``PipelineConfig.train_settings``/``prepare_settings`` are the ``[train]``/``[prepare]`` sections.
Relative paths are relative to the working directory, as on the command line.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from emotion_classifier.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

if typing.TYPE_CHECKING:
    from emotion_classifier.features.config import PrepareConfig
    from emotion_classifier.run_config import PipelineConfig
    from emotion_classifier.training.estimators import TrainConfig

SECTIONS: tuple[str, ...] = ("prepare", "train", "run")
SETTINGS_FILE = "experiment.toml"
"""The name of the resolved settings file in a run folder."""
_SECTION_DICTS: dict[str, str] = {"train": "train_settings", "prepare": "prepare_settings"}
"""PipelineConfig fields that are whole sections, not keys of ``[run]``."""
_SHARED_SEED = ("train", "run")

Layer = dict[str, dict[str, Any]]
"""Settings of one source (a file, the named options, ``--set``): section -> field -> checked value."""


def section_class(section: str) -> type:
    """The dataclass of a section, imported only when asked for (TrainConfig brings Keras along)."""
    if section == "prepare":
        from emotion_classifier.features.config import PrepareConfig

        return PrepareConfig
    if section == "train":
        from emotion_classifier.training.estimators import TrainConfig

        return TrainConfig
    from emotion_classifier.run_config import PipelineConfig

    return PipelineConfig


def section_fields(section: str) -> dict[str, Any]:
    """Field name -> type of a section's keys (the dataclass fields, less ``[run]``'s section dicts)."""
    cls = section_class(section)
    hints = typing.get_type_hints(cls)
    skip = set(_SECTION_DICTS.values()) if section == "run" else set()
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.name not in skip}


@dataclasses.dataclass(frozen=True)
class Settings:
    """The resolved settings of every stage; equal settings mean the same experiment."""

    prepare: PrepareConfig
    train: TrainConfig
    run: PipelineConfig

    def __post_init__(self) -> None:
        if self.train.seed != self.run.seed:
            raise ValueError(f"train.seed ({self.train.seed}) and run.seed ({self.run.seed}) are one setting")

    def pipeline_config(self) -> PipelineConfig:
        """The `PipelineConfig` that ``run_pipeline`` takes, the other sections in its dicts."""
        train = {k: v for k, v in self.train.to_dict().items() if k != "seed"}  # the pipeline passes its seed
        return dataclasses.replace(self.run, train_settings=train, prepare_settings=self.prepare.as_dict())


# ---- checking values ------------------------------------------------------------------------------


def _describe(hint: Any) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string", Path: "a path string"}
    if typing.get_origin(hint) is tuple:
        return f"a list of {_describe(typing.get_args(hint)[0]).removeprefix('an ').removeprefix('a ')}s"
    return names.get(hint, str(hint))


def _optional(hint: Any) -> Any | None:
    """``X`` for ``X | None``, else None."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(inner) == 1 and len(inner) < len(typing.get_args(hint)):
            return inner[0]
    return None


def _scalar(value: Any, hint: Any) -> tuple[bool, Any]:
    """(ok, value converted to ``hint``): the TOML types each Python type accepts, nothing looser."""
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return ok, float(value) if ok else value
    if hint in (str, Path):
        return isinstance(value, str), hint(value) if isinstance(value, str) else value
    raise TypeError(f"settings of type {hint} have no TOML form")


def check_value(value: Any, hint: Any, key: str, source: str | Path) -> Any:
    """``value`` as the field type ``hint`` wants it, or an `InputError` naming ``source`` and ``key``."""
    inner = _optional(hint)
    if inner is not None:
        return None if value == "" else check_value(value, inner, key, source)
    if typing.get_origin(hint) is tuple:
        if isinstance(value, (list, tuple)):
            item = typing.get_args(hint)[0]
            return tuple(check_value(v, item, key, source) for v in value)
        ok = False
    else:
        ok, value = _scalar(value, hint)
    if not ok:
        raise InputError(f"{key}: expected {_describe(hint)}, got {value!r}", source)
    return value


def _unify_seed(layer: Layer, source: str | Path) -> Layer:
    """Give ``train.seed`` and ``run.seed`` the one value this source sets (refusing two values)."""
    seeds = {layer[s]["seed"] for s in _SHARED_SEED if "seed" in layer.get(s, {})}
    if len(seeds) > 1:
        raise InputError(f"train.seed and run.seed are one setting, given as {sorted(seeds)}", source)
    for section in _SHARED_SEED if seeds else ():
        layer.setdefault(section, {})["seed"] = next(iter(seeds))
    return layer


def check_layer(raw: Mapping[str, Any], source: str | Path, sections: Sequence[str] = SECTIONS) -> Layer:
    """Raw settings (a parsed file, or dotted options) checked: known sections and keys, right types."""
    layer: Layer = {}
    for section, values in raw.items():
        if section not in sections:
            if not isinstance(values, dict):
                raise InputError(f"{section}: settings belong in a section ({', '.join(sections)})", source)
            raise InputError(f"{section}: not a section of settings here (known here: {', '.join(sections)})",
                             source)
        if not isinstance(values, dict):
            raise InputError(f"{section}: expected a table of settings, got {values!r}", source)
        known = section_fields(section)
        for name, value in values.items():
            key = f"{section}.{name}"
            if name not in known:
                raise InputError(f"{key}: unknown setting (known: {', '.join(known)})", source)
            layer.setdefault(section, {})[name] = check_value(value, known[name], key, source)
    return _unify_seed(layer, source)


# ---- sources --------------------------------------------------------------------------------------


def read_settings_file(path: str | Path, sections: Sequence[str] = SECTIONS) -> Layer:
    """The checked settings of a TOML file; every problem is one line naming the file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("settings file not found", path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not a TOML file: {exc}", path) from None
    return check_layer(raw, path, sections)


def parse_value(text: str) -> Any:
    """A ``--set`` value read as TOML (``128``, ``[64, 32]``, ``true``, ``"kiwi"``); else the text itself,
    because the shell strips the quotes of ``--set prepare.tokenizer="kiwi"``."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(assignments: Sequence[str], sections: Sequence[str] = SECTIONS) -> Layer:
    """``--set SECTION.FIELD=VALUE`` options as a checked layer (later ones win)."""
    raw: dict[str, dict[str, Any]] = {}
    for assignment in assignments:
        key, equals, text = assignment.partition("=")
        section, dot, name = key.strip().partition(".")
        if not (equals and dot and section and name):
            raise InputError(f"expected SECTION.FIELD=VALUE (e.g. train.units=128), got {assignment!r}", "--set")
        raw.setdefault(section, {})[name] = parse_value(text.strip())
    return check_layer(raw, "--set", sections)


def options_layer(options: Mapping[str, Any], source: str = "command line") -> Layer:
    """Named command-line options given as ``{"section.field": value}`` (only those the user typed)."""
    raw: dict[str, dict[str, Any]] = {}
    for key, value in options.items():
        section, _, name = key.partition(".")
        raw.setdefault(section, {})[name] = _plain(value)
    return check_layer(raw, source)


# ---- resolving ------------------------------------------------------------------------------------


def _build(merged: Layer, source: str | Path) -> Settings:
    built = {}
    for section in SECTIONS:
        try:
            built[section] = section_class(section)(**merged[section])
        except ValueError as exc:
            raise InputError(f"{section}: {exc}", source) from None
    return Settings(**built)


def resolve_settings(*layers: Layer, sources: Sequence[str | Path] = ()) -> Settings:
    """Dataclass defaults overridden by each layer in turn; a value a dataclass refuses (a choice
    outside its list, a non-positive count) is named with the source that brought it in."""
    merged: Layer = {section: {} for section in SECTIONS}
    settings = _build(merged, "defaults")
    for i, layer in enumerate(layers):
        for section, values in layer.items():
            merged[section].update(values)
        settings = _build(merged, sources[i] if i < len(sources) else "settings")
    return settings


def load_settings(path: str | Path | None = None) -> Settings:
    """The settings of a file over the defaults (None: the defaults): for the Python API and notebooks."""
    if path is None or str(path) == "":
        return resolve_settings()
    return resolve_settings(read_settings_file(path), sources=[path])


def command_settings(config: str | Path | None, options: Mapping[str, Any], assignments: Sequence[str],
                     sections: Sequence[str] = SECTIONS) -> Settings:
    """What a command runs with: defaults < ``--config`` file < named options < ``--set`` (``sections``:
    those a command's ``--set`` may name; a file is always checked whole)."""
    layers, sources = [], []
    if config is not None:
        layers.append(read_settings_file(config))
        sources.append(config)
    layers += [options_layer(options), parse_assignments(assignments, sections)]
    sources += ["command line", "--set"]
    return resolve_settings(*layers, sources=sources)


def settings_from_pipeline(config: PipelineConfig) -> Settings:
    """The `Settings` of a `PipelineConfig` built in Python (its dicts become the two sections)."""
    from emotion_classifier.training.estimators import TrainConfig

    run = {name: getattr(config, name) for name in section_fields("run")}
    layer = options_layer({f"run.{k}": v for k, v in run.items() if v is not None}, "PipelineConfig")
    layer["run"].update({k: None for k, v in run.items() if v is None})
    try:
        train = TrainConfig.from_dict({**config.train_settings, "seed": config.seed})
        layer["train"] = dataclasses.asdict(train)
        layer["prepare"] = dict(config.prepare_settings)
        return resolve_settings(layer, sources=["PipelineConfig"])
    except (TypeError, ValueError) as exc:
        raise InputError(f"invalid settings: {exc}", "PipelineConfig") from None


# ---- writing --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A setting as TOML writes it: paths as text, tuples as lists."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def settings_dict(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every field of every section, as plain TOML-able values (None kept)."""
    return {section: {name: _plain(getattr(getattr(settings, section), name)) for name in section_fields(section)}
            for section in SECTIONS}


def settings_toml(settings: Settings) -> str:
    """The text of a settings file holding every field; None fields are listed in a comment."""
    import tomli_w

    parts = ["# Every setting of one experiment; `emotion run --config FILE` runs it again.\n"
             "# A field not set below is None (its default decides); \"\" sets such a field back to None.\n"]
    for section, values in settings_dict(settings).items():
        unset = [name for name, value in values.items() if value is None]
        comment = f"# not set: {', '.join(unset)}\n" if unset else ""
        body = tomli_w.dumps({k: v for k, v in values.items() if v is not None})
        parts.append(f"[{section}]\n{comment}{body}")
    return "\n".join(parts)


def write_settings(path: str | Path, settings: Settings) -> Path:
    """Write ``settings`` as a TOML file that `load_settings` reads back to equal settings."""
    from emotion_classifier.files import write_text_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, settings_toml(settings))
    return path
