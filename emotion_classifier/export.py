"""``emotion export``: a models folder's networks as ONNX or LiteRT files, for prediction without Keras.

Each final model ``NAME.keras`` becomes ``NAME.onnx`` (or ``NAME.tflite``) beside a copy of its
unchanged sidecar ``NAME.json`` (and its stop-word list), so the exported folder loads with the same
code as the Keras folder: `EmotionClassifier.load` reads the sidecars, builds the same input encoders
and runs the network through `networks` (ONNX Runtime or LiteRT) instead of Keras. ``fusion.json`` is
copied (the early-fusion network is exported when it chooses it), and ``model_card.md`` says what the
models were trained on, their scores, their label order and the preprocessing they expect.
``export.json`` records the format and the digests of the source files, so exporting the same models
again into the same folder is recognised, and any other folder content is never replaced unasked.

Every exported network is checked before the folder is written: its probabilities on probe inputs must
equal the Keras network's within `TOLERANCE`. The folder is written under a temporary name beside
``--out`` and renamed into place only when every file is there. This module needs Keras (the source);
the exported folder does not.
"""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from emotion_classifier import __version__, registry
from emotion_classifier.bundles.pack import file_sha256
from emotion_classifier.errors import InputError
from emotion_classifier.files import check_writable, read_json, write_json, write_text_atomic
from emotion_classifier.fusion.prediction_choice import FUSION_FILE, read_fusion_choice
from emotion_classifier.labels import EMOTION_OUTPUT, EMOTIONS
from emotion_classifier.networks import EXPORT_SUFFIXES, RUNNERS
from emotion_classifier.predict import model_stem

EXPORT_FILE = "export.json"
MODEL_CARD = "model_card.md"
TOLERANCE = 1e-4
"""Largest difference allowed between an exported network's probabilities and the Keras network's."""
SCORE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("macro_f1", "macro-F1"), ("uar", "unweighted accuracy"), ("accuracy", "accuracy"),
    ("weighted_f1", "weighted-F1"), ("valence_ccc", "valence CCC"), ("arousal_ccc", "arousal CCC"),
)  # fmt: skip


KERAS_SUFFIXES: tuple[str, ...] = (".keras", ".h5")
"""The files of a Keras model an export is made from."""


def _model_stem(folder: Path, modality: str) -> str | None:
    """The stem of a modality's saved Keras model in ``folder`` (`predict.model_stem`, Keras files only)."""
    return model_stem(folder, modality, KERAS_SUFFIXES)


def models_to_export(folder: Path) -> dict[str, str]:
    """Modality -> file stem of every final model to export: the single models, plus the early-fusion
    network when ``fusion.json`` chooses it. A folder with none, an export, or a pretrained-encoder
    model is refused with one line."""
    if not folder.is_dir():
        raise InputError("--models: models folder not found", folder)
    if (folder / EXPORT_FILE).is_file():
        raise InputError("--models: is already an exported folder; give the Keras models folder", folder)
    singles = {m: s for m in registry.modality_names(joint=False) if (s := _model_stem(folder, m))}
    choice = read_fusion_choice(folder, tuple(singles))
    if choice.method in registry.modality_names(joint=True):
        stem = _model_stem(folder, choice.method)
        if stem:
            singles[choice.method] = stem
    if not singles:
        raise InputError("--models: not a models folder (no NAME.keras + NAME.json of "
                         f"{', '.join(registry.modality_names())})", folder)  # fmt: skip
    for modality, stem in singles.items():
        _check_exportable(folder, modality, stem)
    return singles


def _check_exportable(folder: Path, modality: str, stem: str) -> None:
    """Refuse (one line) a model whose estimator, or one of whose parts (a joint network's, from its
    sidecar), declares an ``export_refusal``."""
    from emotion_classifier.training.estimators import estimator_class

    config = read_json(folder / f"{stem}.json", expect=dict).get("config", {})
    parts = config.get(registry.modality(modality).parts_setting) or registry.modality(modality).parts
    for name in (modality, *parts):
        why = estimator_class(name).export_refusal
        if why:
            raise InputError(f"{name} {why}; move {stem}.keras out of the folder (or choose another fusion) "
                             "to export the others", folder / f"{stem}.keras")  # fmt: skip


def _probe_inputs(network, rng: np.random.Generator, rows: int = 3):
    """Inputs of the network's own shapes for the export check: ids 0 (padding) and 1 (OOV) for
    integer inputs, standard normals otherwise, with the last two steps of every sequence zero (what the
    networks mask): the token axis of integer inputs, the frame axis (the one before the features) of
    float ones, where it is longer than 2."""
    probes = {}
    for spec in network.inputs:
        shape = [rows] + [5 if d is None else int(d) for d in spec.shape[1:]]
        integer = "int" in str(spec.dtype)
        value = rng.integers(0, 2, shape) if integer else rng.normal(size=shape)
        steps = -1 if integer else -2
        if len(shape) >= 1 - steps and shape[steps] > 2:
            index = [slice(None)] * len(shape)
            index[steps] = slice(-2, None)
            value[tuple(index)] = 0
        probes[spec.name] = value.astype(str(spec.dtype))
    return probes if len(probes) > 1 else next(iter(probes.values()))


def _export_network(source: Path, stem: str, target: Path, fmt: str) -> tuple[float, list[str]]:
    """Export one Keras network to ``target``; returns the largest output difference on probes and the
    network's input names."""
    from emotion_classifier.training.estimators import load_model

    try:  # the model as prediction loads it: NAME.keras in safe mode, or the legacy NAME.h5 weights
        network = load_model(source, stem).model_
    except ImportError as exc:
        raise InputError(f"export reads the Keras models: it needs the full install with TensorFlow ({exc})",
                         source / f"{stem}.keras") from None  # fmt: skip
    probes = _probe_inputs(network, np.random.default_rng(0))
    expected = network.predict_on_batch(probes)  # also builds the traced call the ONNX export needs
    try:
        network.export(str(target), format=fmt, verbose=False)
    except Exception as exc:  # tf2onnx / the TFLite converter raise many kinds
        raise InputError(f"{fmt} export failed: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                         source / f"{stem}.keras") from None  # fmt: skip
    try:
        got = RUNNERS[fmt](target).predict_on_batch(probes)
    except InputError:
        raise
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        hint = " (recurrent layers need TensorFlow's Flex ops, which the LiteRT runtime lacks: use --format onnx)" \
            if "Flex" in first or "Select TensorFlow op" in first else ""
        raise InputError(f"the exported {fmt} network does not run: {first[:160]}{hint}",
                         source / f"{stem}.keras") from None  # fmt: skip
    difference = max(float(np.max(np.abs(np.asarray(expected[name]) - np.asarray(got[name])))) for name in expected)
    return difference, [spec.name for spec in network.inputs]


def _sources(folder: Path, stems: Mapping[str, str]) -> dict[str, str]:
    """sha256 of every source file an export is made of (networks, sidecars, fusion.json)."""
    names = [f"{s}{x}" for s in stems.values() for x in (*KERAS_SUFFIXES, ".json") if (folder / f"{s}{x}").is_file()]
    names += [FUSION_FILE] if (folder / FUSION_FILE).is_file() else []
    return {name: file_sha256(folder / name) for name in sorted(names)}


def _check_out(out: Path, fmt: str, sources: Mapping[str, str], force: bool) -> bool:
    """True when ``out`` already holds this very export (nothing to do); refuse any other content
    unless ``force``."""
    if out.exists() and not out.is_dir():
        raise InputError("--out: is a file, expected a folder", out)
    if not out.exists() or not any(out.iterdir()):
        return False
    record = out / EXPORT_FILE
    if record.is_file():
        previous = read_json(record, expect=dict)
        if previous.get("format") == fmt and previous.get("sources") == dict(sources) and not force:
            return True
    if not force:
        what = "another export" if record.is_file() else "other files"
        raise InputError(f"--out: already holds {what}; give an empty or new folder, or add --force to replace it",
                         out)  # fmt: skip
    return False


def export_models(models: str | Path, out: str | Path, fmt: str = "onnx", *, run: str | Path | None = None,
                  force: bool = False) -> dict:  # fmt: skip
    """Export every final model of ``models`` (see the module doc) into ``out``; returns ``export.json``'s
    record (``"unchanged": True`` when ``out`` already held this export). ``run``: the run folder whose
    scores the model card gives (default: the one ``fusion.json`` names, when it is found)."""
    if fmt not in EXPORT_SUFFIXES:
        raise InputError(f"--format must be one of {', '.join(EXPORT_SUFFIXES)}, got {fmt!r}")
    folder, out = Path(models), Path(out)
    stems = models_to_export(folder)
    sources = _sources(folder, stems)
    if _check_out(out, fmt, sources, force):
        return {**read_json(out / EXPORT_FILE, expect=dict), "unchanged": True}
    check_writable(out.parent, "--out")
    staged = out.with_name(f".{out.name}.{os.getpid()}.export")
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    try:
        record = _write_export(folder, staged, stems, fmt, sources, run)
        _move_into_place(staged, out)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return record


def _write_export(folder: Path, staged: Path, stems: Mapping[str, str], fmt: str, sources: Mapping[str, str],
                  run: str | Path | None) -> dict:  # fmt: skip
    differences, inputs = {}, {}
    for modality, stem in stems.items():
        target = staged / f"{stem}{EXPORT_SUFFIXES[fmt]}"
        differences[modality], inputs[modality] = _export_network(folder, stem, target, fmt)
        if differences[modality] > TOLERANCE:
            raise InputError(f"the exported {fmt} network differs from Keras by {differences[modality]:.2g} "
                             f"(more than {TOLERANCE:g})", folder / f"{stem}.keras")  # fmt: skip
        sidecar = read_json(folder / f"{stem}.json", expect=dict)
        shutil.copyfile(folder / f"{stem}.json", staged / f"{stem}.json")
        stopwords = sidecar.get("preprocessing", {}).get("stopwords_file")
        if stopwords:
            shutil.copyfile(folder / stopwords, staged / stopwords)
    if (folder / FUSION_FILE).is_file():
        shutil.copyfile(folder / FUSION_FILE, staged / FUSION_FILE)
    record = {
        "format": fmt,
        "package_version": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "source": str(folder.resolve()),
        "models": dict(stems),
        "inputs": inputs,
        "max_output_difference": differences,
        "tolerance": TOLERANCE,
        "sources": dict(sources),
    }
    write_text_atomic(staged / MODEL_CARD, model_card(folder, stems, fmt, run, record))
    write_json(staged / EXPORT_FILE, record)
    return record


def _move_into_place(staged: Path, out: Path) -> None:
    """Rename the finished folder onto ``out``; an old ``out`` (``--force``, or an empty folder) is moved
    aside first and removed only once the new one is in place."""
    old = out.with_name(f".{out.name}.{os.getpid()}.old")
    if out.exists():
        os.replace(out, old)
    try:
        os.replace(staged, out)
    except OSError:
        if old.exists():
            os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


# -- the model card ---------------------------------------------------------------------------------
def _find_run(folder: Path, run: str | Path | None) -> Path | None:
    """The run folder: the one given, else ``fusion.json``'s ``run`` (relative to the working folder
    or to the models folder's parent, where `emotion run` is started)."""
    if run is not None:
        if not Path(run).is_dir():
            raise InputError("--run: run folder not found", run)
        return Path(run)
    fusion = folder / FUSION_FILE
    named = read_json(fusion, expect=dict).get("run") if fusion.is_file() else None
    if not named:
        return None
    for candidate in (Path(named), folder.resolve().parent / named):
        if candidate.is_dir():
            return candidate
    return None


def _training_data(run: Path | None) -> tuple[list[str], bool | None]:
    """Lines on the corpus the run trained on, and whether it is the synthetic corpus (None: unknown)."""
    if run is None:
        return ["The models folder does not name its run (no `fusion.json` with a `run`, no `--run`): the corpus "
                "is unknown."], None  # fmt: skip
    pipeline = read_json(run / "pipeline.json", expect=dict) if (run / "pipeline.json").is_file() else {}
    lines = [f"Run folder: `{run}`."]
    manifest = None
    for base in (Path.cwd(), run.resolve().parent.parent, run.resolve().parent):
        candidate = base / str(pipeline.get("artifacts", "")) / "manifest.json"
        if pipeline.get("artifacts") and candidate.is_file():
            manifest = read_json(candidate, expect=dict)
            break
    if manifest is None:
        return lines + ["Its artifacts (and so the corpus) are not on this machine: the corpus is unknown."], None
    counts = manifest.get("counts", {})
    root = Path(str(manifest.get("root", "")))
    settings = manifest.get("config", {})
    lines.append(f"Corpus: {manifest.get('corpus', '?')} at `{root}`, {counts.get('segments', '?')} segments "
                 f"({settings.get('view', '?')} view, ties {settings.get('ties', '?')}).")
    if not root.is_dir():
        return lines + ["The corpus folder is not on this machine: whether it was synthetic is unknown."], None
    synthetic = (root / "synthetic_corpus.json").is_file()
    return lines, synthetic


def _pooled(metrics: dict, key: str) -> float | None:
    """A pooled score of ``metrics.json`` (the CCCs sit under ``valence``/``arousal``)."""
    pooled = metrics.get("pooled", {})
    if key.endswith("_ccc"):
        return pooled.get(key.removesuffix("_ccc"), {}).get("ccc")
    return pooled.get(key)


def _scores(run: Path | None, stems: Mapping[str, str], method: str | None) -> list[str]:
    """The run's pooled out-of-fold scores with their session-bootstrap 95% intervals, per exported model
    and for the late fusion ``method`` that prediction applies."""
    if run is None:
        return ["No run folder: no scores."]
    header = "| model | " + " | ".join(label for _, label in SCORE_COLUMNS) + " |"
    rows = [header, "|" + "---|" * (len(SCORE_COLUMNS) + 1)]
    late = [(f"{method} (fusion)", run / "fusion" / method)] if method and method not in stems else []
    for name, where in [(m, run / m) for m in stems] + late:
        path = where / "metrics.json"
        if not path.is_file():
            rows.append(f"| {name} | " + " | ".join("-" for _ in SCORE_COLUMNS) + " |")
            continue
        metrics = read_json(path, expect=dict)
        ci = metrics.get("bootstrap", {}).get("ci95", {})
        cells = []
        for key, _ in SCORE_COLUMNS:
            value = _pooled(metrics, key)
            interval = ci.get(key)
            text = "-" if value is None else f"{value:.3f}"
            if value is not None and interval and None not in interval:
                text += f" [{interval[0]:.3f}, {interval[1]:.3f}]"
            cells.append(text)
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return ["Pooled out-of-fold scores of the run's session-wise folds, with 95% session-bootstrap intervals "
            "(`metrics.json`: `pooled`, `bootstrap.ci95`):", "", *rows]  # fmt: skip


def _preprocessing(sidecar: dict) -> str:
    """One model's expected input, from its sidecar."""
    pre, encoder = sidecar.get("preprocessing", {}), sidecar.get("encoder", {})
    modality = sidecar.get("modality")
    parts = encoder.get("parts", {modality: encoder}) if encoder.get("kind") == "early_fusion" else {modality: encoder}
    lines = []
    for part, enc in parts.items():
        kind = enc.get("kind")
        if kind == "tokens":
            what = (f"cleaned transcript -> {pre.get('tokenizer')} morphemes ({pre.get('tokenizer_version', '?')}), "
                    f"stop words {pre.get('stopwords_file') or pre.get('stopwords') or 'none'}, vocabulary of "
                    f"{len(enc['vocabulary']['tokens']) + 2} ids (0 padding, 1 unknown), padded/cut to "
                    f"{enc['padder']['maxlen']} tokens")  # fmt: skip
        elif kind in ("frames", "pooled_frames"):
            what = (f"wav at {pre.get('sample_rate')} Hz mono -> {pre.get('n_mfcc')} MFCC"
                    f"{' + log-mel' if pre.get('log_mel') else ''}{' + deltas' if pre.get('deltas') else ''} "
                    f"(n_fft {pre.get('n_fft')}, hop {pre.get('hop_length')}), standardised with the training "
                    "frames' mean/sd, " + (f"padded/cut to {enc['padder']['maxlen']} frames" if kind == "frames"
                                           else "pooled to mean/sd/min/max"))  # fmt: skip
        elif kind == "features":
            what = (f"bio files (EDA/TEMP/ECG/IBI) -> {len(enc['scaler']['mean'])} per-segment features, "
                    f"{pre.get('bio_normalisation')} normalisation per person, median-imputed and standardised")
        elif kind == "sentence":
            what = f"cleaned transcript -> sentence embeddings of {enc.get('model_name')}"
        else:
            what = f"{kind} encoder"
        lines.append(f"  - {part}: {what}")
    return "\n".join(lines)


def model_card(folder: Path, stems: Mapping[str, str], fmt: str, run: str | Path | None, record: dict) -> str:
    """``model_card.md``: training data (with the synthetic-corpus warning), scores, labels, inputs;
    ``record`` is ``export.json``'s (the networks' input names, the export check)."""
    differences = record["max_output_difference"]
    run_folder = _find_run(folder, run)
    data_lines, synthetic = _training_data(run_folder)
    fusion = read_json(folder / FUSION_FILE, expect=dict) if (folder / FUSION_FILE).is_file() else None
    sidecars = {m: read_json(folder / f"{s}.json", expect=dict) for m, s in stems.items()}
    lines = [f"# Model card: emotion_classifier {__version__} models ({fmt})", ""]
    if synthetic is not False:
        warning = ("These models were trained on the **synthetic** sample corpus" if synthetic else
                   "It could not be checked whether these models were trained on the synthetic sample corpus")
        lines += [f"> **Warning.** {warning}: their predictions and scores mean nothing about real emotions.", ""]
    lines += ["## Trained on", "", *data_lines, ""]
    for modality, sidecar in sidecars.items():
        config = sidecar.get("config", {})
        lines.append(f"- {modality}: {sidecar.get('n_train')} training rows, {sidecar.get('n_val')} validation rows "
                     f"(early stopping), best epoch {sidecar.get('best_epoch')} of {config.get('epochs')}, "
                     f"balance {config.get('balance')}, seed {config.get('seed')}.")  # fmt: skip
    lines += ["", "## Scores", "", *_scores(run_folder, stems, (fusion or {}).get("method")), ""]
    lines += ["## How the models are combined", ""]
    if fusion:
        lines.append(f"`fusion.json`: method **{fusion.get('method')}** (weights {fusion.get('weights')}), chosen by "
                     f"{fusion.get('selection', 'the user')}; {fusion.get('reason', '')}".rstrip("; "))  # fmt: skip
    else:
        lines.append("No `fusion.json`: the single models' outputs are averaged with equal weights.")
    lines += ["", "## Outputs", "",
              f"- `{EMOTION_OUTPUT}`: 7 probabilities in this label order: {', '.join(EMOTIONS)}.",
              "- `valence`, `arousal` (when the model has the heads): ratings scaled as (r - 3) / 2; the predictor "
              "reports them on the 1-5 scale.", "",
              "## Inputs each model expects", "",
              "Prediction applies these from the sidecars (`NAME.json`) with the package's own code "
              "(`EmotionClassifier.load(this folder)`, `emotion predict --models this folder`):", ""]  # fmt: skip
    for modality, sidecar in sidecars.items():
        lines += [f"- **{modality}** (`{stems[modality]}{EXPORT_SUFFIXES[fmt]}`, network inputs "
                  f"{', '.join(f'`{n}`' for n in record['inputs'][modality])}):", _preprocessing(sidecar)]  # fmt: skip
    lines += ["", "## Export check", "",
              f"Largest difference from the Keras network's outputs on probe inputs (limit {TOLERANCE:g}): "
              + ", ".join(f"{m} {d:.1e}" for m, d in differences.items()) + ".", ""]  # fmt: skip
    return "\n".join(lines)

