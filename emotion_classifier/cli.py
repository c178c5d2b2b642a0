"""The ``emotion`` command: argument parsing only; every subcommand calls the library.

Heavy imports live inside the ``_cmd_*`` functions so that ``emotion --help`` is instant.
Input problems (``InputError``) are printed as one line naming the file, without a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from emotion_classifier import __version__, registry
from emotion_classifier.errors import InputError

DEFAULT_SAMPLE_DIR = "data/sample_kemdy19"

# TensorFlow's C++ start-up banner and per-model retracing notices drown the progress output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logging.getLogger("tensorflow").setLevel(logging.ERROR)


def _cmd_sample_data(args: argparse.Namespace) -> int:
    from emotion_classifier.datasets.synthetic import generate_corpus
    from emotion_classifier.files import check_writable

    check_writable(args.out, "--out")
    corpus = generate_corpus(args.out, corpus=args.corpus, sessions=args.sessions, seed=args.seed, size=args.size)
    print(corpus.summary())
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from emotion_classifier.datasets import bio_coverage, open_corpus
    from emotion_classifier.datasets.summary import format_summary, stop_at_first_problem, summarise
    from emotion_classifier.files import check_writable

    if args.out:
        check_writable(Path(args.out).parent, "--out")
    table = open_corpus(args.data, tie_policy=args.ties)
    if args.strict:  # the annotation/media/transcript problems before a single bio file is read
        stop_at_first_problem(table.attrs["problems"])
    coverage = bio_coverage(table)
    if args.strict:
        stop_at_first_problem(coverage.attrs["problems"])
    summary = summarise(table, coverage)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out, index=False)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(format_summary(summary))
        if args.out:
            print(f"segment table written to {args.out}")
    return 0


def _given_options(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> set[str]:
    """The options the user typed (their ``dest``): ``argv`` parsed again with every default suppressed.

    A settings file sits between the defaults and the command line, so an option left at its
    default must not override the file, while one typed, even with the default's value, must.
    """
    parsers, saved = [parser], []
    while parsers:
        for action in parsers.pop()._actions:
            saved.append((action, action.default))
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
    try:
        for action, _ in saved:
            action.default = argparse.SUPPRESS
        typed, _ = parser.parse_known_args(argv)
    finally:
        for action, default in saved:
            action.default = default
    return set(vars(typed))


# Typed options that are settings: option dest -> SECTION.FIELD (emotion_classifier/settings.py).
_PREPARE_SETTINGS = {name: f"prepare.{name}" for name in (
    "view", "ties", "tokenizer", "stopwords", "n_mfcc", "log_mel", "deltas", "bio_normalisation", "jobs", "strict",
    "speech_encoders", "text_encoders")}
_FOLD_SETTINGS = {"folds": "run.n_folds", "test_sessions": "run.test_sessions", "folds_file": "run.folds_file",
                  "dedup_text": "run.dedup_text"}
_RUN_SETTINGS = {
    "data": "run.data", "artifacts": "run.artifacts", "runs_dir": "run.runs_dir", "run": "run.run_name",
    "models": "run.models_dir", "corpus": "run.sample_corpus", "sessions": "run.sample_sessions",
    "no_early_fusion": "run.early_fusion", "seeds": "run.seeds", "cluster": "run.cluster", **_FOLD_SETTINGS,
}  # fmt: skip
_NEGATED = ("no_multitask", "no_early_fusion")


def _command_settings(args: argparse.Namespace, options: dict[str, str], sections: tuple[str, ...]):
    """Defaults < ``--config`` file < the typed options of ``options`` < ``--set`` (``sections``)."""
    from emotion_classifier.settings import command_settings

    typed = getattr(args, "given", set())
    values = {key: (not getattr(args, dest)) if dest in _NEGATED else getattr(args, dest)
              for dest, key in options.items() if dest in typed}
    return command_settings(args.config, values, args.set, sections)


def _cmd_prepare(args: argparse.Namespace) -> int:
    from emotion_classifier.cluster import open_cluster
    from emotion_classifier.datasets import detect_corpus
    from emotion_classifier.features import prepare
    from emotion_classifier.files import check_writable

    settings = _command_settings(args, {**_PREPARE_SETTINGS, "cluster": "run.cluster"}, ("prepare",))
    detect_corpus(args.data)  # a wrong --data is named before --out is made (the probe creates it)
    check_writable(args.out, "--out")
    with open_cluster(settings.run.cluster):
        prepare(args.data, args.out, settings.prepare, progress=not args.quiet, force=args.force)
    return 0


def _train_settings(args: argparse.Namespace):
    """``[train]`` and the fold settings of ``[run]``: the training options, then ``--set train.*``."""
    options = {option: f"train.{field}" for option, field in _TRAIN_OPTIONS.items()}
    options.update(_FOLD_SETTINGS, no_multitask="train.regression_heads", verbose="train.verbose",
                   cluster="run.cluster")
    return _command_settings(args, options, ("train",))


def _cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from emotion_classifier.cluster import open_cluster
    from emotion_classifier.features.artifacts import require_finished
    from emotion_classifier.files import check_writable
    from emotion_classifier.reporting.training_summary import format_summary
    from emotion_classifier.training.estimators import check_trainable
    from emotion_classifier.training.train import train_modality

    settings = _train_settings(args)
    folds = settings.run
    _refuse_bundle_output(args.models, "--models")
    args.artifacts = _bundle_folder(args.artifacts, "artifacts", "--artifacts", quiet=args.quiet)
    run_dir = Path(args.runs_dir) / args.run / args.modality
    # Settings first (nothing written for a run that cannot train), then both outputs before the
    # cross-validation: an unwritable --models used to fail after all of it.
    check_trainable(args.modality, settings.train)
    require_finished(args.artifacts)
    check_writable(args.models, "--models")
    check_writable(run_dir, "--runs-dir")
    with open_cluster(folds.cluster):
        metrics = train_modality(
            args.artifacts, args.modality, settings.train, run_dir, models_dir=args.models, n_folds=folds.n_folds,
            test_sessions=folds.test_sessions, split=args.split, fmt=args.format, progress=not args.quiet,
            folds_file=folds.folds_file, dedup_text=folds.dedup_text,
        )  # fmt: skip
    print(format_summary(metrics, title=f"{args.modality} ({args.split} folds), run folder {run_dir}"))
    print(f"final {args.modality} model saved in {args.models}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from emotion_classifier.reporting.training_summary import format_summary
    from emotion_classifier.training.train import evaluate_run

    artifacts = _bundle_folder(args.artifacts, "artifacts", "--artifacts") if args.artifacts else None
    result = evaluate_run(args.run, artifacts_dir=artifacts)
    print(format_summary(result["metrics"], title=f"{result['modality']}: saved fold models re-scored"))
    verdict = "equal to" if result["matches_stored"] else "DIFFERENT from"
    print(f"{result['n_rows']} rows, {verdict} the stored out-of-fold predictions "
          f"(largest difference {result['max_abs_difference']:.2g})")
    return 0 if result["matches_stored"] else 1


def _add_sample_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample-data", help="write a synthetic corpus in the exact KEMDy file formats")
    p.add_argument("--corpus", choices=["kemdy19", "kemdy20"], default="kemdy19")
    p.add_argument("--out", default=DEFAULT_SAMPLE_DIR, help="folder to write (default: %(default)s)")
    p.add_argument("--sessions", type=int, default=None, help="number of sessions (default: the size's)")
    p.add_argument(
        "--size", choices=["demo", "full"], default="demo",
        help="demo: 10 sessions of short segments, about 650 segments (default); full: the real corpus's size "
        "and duration profile (KEMDy19 about 10,200 segments, 16 h of audio; KEMDy20 about 13,500; minutes to write)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_sample_data)


def _add_inspect(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="summarise a KEMDy19/KEMDy20 copy (or the sample corpus)")
    p.add_argument("--data", required=True, help="corpus root folder")
    p.add_argument("--ties", choices=["drop", "first", "vote"], default="drop", help="tie policy")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--out", default=None, help="write the segment table to this CSV")
    p.add_argument("--strict", action="store_true",
                   help="stop at the first problem (exit status 2, one line naming file and line) instead of "
                        "listing every problem")
    p.set_defaults(func=_cmd_inspect)


def _add_prepare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prepare", help="preprocess a corpus into aligned, cached text/audio/bio artifacts")
    p.add_argument("--data", default=DEFAULT_SAMPLE_DIR, help="corpus root folder (default: %(default)s)")
    p.add_argument("--out", default="data/artifacts", help="artifacts folder (default: %(default)s)")
    p.add_argument("--view", choices=["speaker", "listener"], default="speaker", help="whose labels to use")
    p.add_argument("--ties", choices=["drop", "first", "vote"], default="drop", help="tie policy")
    p.add_argument("--tokenizer", choices=["mecab", "kiwi", "okt"], default="mecab")
    p.add_argument("--stopwords", nargs="?", const="builtin", default=None, metavar="FILE",
                   help="drop stop words: the built-in particle list, or the words of FILE (one per line)")
    p.add_argument("--n-mfcc", type=int, default=40, help="MFCC coefficients (default: %(default)s)")
    p.add_argument("--log-mel", action="store_true", help="also store the 64-band log-mel spectrogram")
    p.add_argument("--deltas", action="store_true", help="also store the deltas of the audio features")
    p.add_argument("--bio-normalisation", choices=["session", "past", "none"], default="session",
                   help="whose samples z-score the *_pnorm bio features: the person's whole session (default), "
                        "only the signal up to each segment's end (what a live system has), or none")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--strict", action="store_true",
                   help="stop at the first problem (a corpus problem, an unreadable wav or transcript, an empty "
                        "transcript, a bad bio line) instead of skipping and listing it")
    for kind, example in (("speech", "kresnik/wav2vec2-large-xlsr-korean"), ("text", "klue/roberta-base")):
        p.add_argument(f"--{kind}-encoder", dest=f"{kind}_encoders", action="append", default=None, metavar="ID",
                       help=f"also store the layer vectors of a pretrained {kind} encoder: a hub id (e.g. {example}) "
                            "or a model folder; repeat for several (needs the [pretrained] extra)")
    _add_cluster_option(p, "the chunks (--jobs 1 keeps them here)", "the corpus and --out")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    p.add_argument("--force", action="store_true",
                   help="prepare into --out even when it holds another corpus's artifacts (replaced) or other files")
    _add_settings_options(p, "prepare")
    p.set_defaults(func=_cmd_prepare)


def _session_list(text: str) -> list[int]:
    """``1,2,3,4`` -> [1, 2, 3, 4] (MATE's --test_split)."""
    try:
        sessions = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sessions = []
    if not sessions:
        raise argparse.ArgumentTypeError(f"expected session numbers separated by commas, got {text!r}")
    return sessions


def _add_settings_options(p: argparse.ArgumentParser, sections: str) -> None:
    """``--config FILE`` and ``--set SECTION.FIELD=VALUE`` (``sections``: what ``--set`` may name here)."""
    p.add_argument("--config", default=None, metavar="FILE.toml",
                   help="settings file with [prepare], [train], [run] sections (runs/NAME/experiment.toml is one); "
                        "typed options and --set override it")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                   help=f"any setting of {sections} (VALUE as TOML: 128, [64, 32], true, kiwi); repeatable")


def _add_cluster_option(p: argparse.ArgumentParser, jobs: str, shared: str) -> None:
    """``--cluster`` (setting ``run.cluster``): where ``jobs`` run; ``shared``: the folders workers write to."""
    p.add_argument("--cluster", default=None, metavar="local|tcp://HOST:PORT",
                   help=f"run {jobs} on a Dask cluster: local (one worker process per core of this machine) or a "
                        f"scheduler's address, whose workers must mount {shared} at the same path; same results "
                        "as without it (needs the [cluster] extra)")


def _add_folds_file(p: argparse.ArgumentParser) -> None:
    p.add_argument("--folds-file", default=None, metavar="FILE.json",
                   help='published folds: [{"test": [1, 2, 3, 4]}, {"test": [5, 6, 7, 8], "val": [9]}, ...] '
                        "(session numbers; without val, validation sessions are drawn from the training ones)")
    p.add_argument("--dedup-text", action="store_true",
                   help="in each fold, leave out training/validation rows whose transcript equals a test row's "
                        "(KEMDy19 scripted lines repeat across sessions)")


_BALANCE_MODES = ["class_weight", "smote", "oversample", "cb_loss", "none"]

def _cmd_run(args: argparse.Namespace) -> int:
    from emotion_classifier.files import check_writable
    from emotion_classifier.pipeline import run_pipeline
    from emotion_classifier.settings import SECTIONS

    options = {option: f"train.{field}" for option, field in _TRAIN_OPTIONS.items() if option != "seed"}
    options.update(_RUN_SETTINGS, seed="run.seed")
    settings = _command_settings(args, options, SECTIONS)
    config = _bundle_run_config(settings.pipeline_config(), quiet=args.quiet)
    if config.data is not None:  # a --data that is not a corpus is named before any output folder is created
        from emotion_classifier.datasets import detect_corpus

        detect_corpus(config.data)
    for folder, what in ((config.artifacts_dir, "--artifacts"), (config.run_root, "--runs-dir"),
                         (config.models_dir, "--models")):
        check_writable(folder, what)
    run_pipeline(config, progress=not args.quiet)
    return 0


# CLI option -> TrainConfig field; options left out keep the TrainConfig default.
_TRAIN_OPTIONS: dict[str, str] = {
    "epochs": "epochs", "batch_size": "batch_size", "balance": "balance", "cb_beta": "cb_beta",
    "lam": "emotion_weight", "text_encoder": "text_encoder", "speech_model": "speech_model", "seed": "seed",
}  # fmt: skip


def _add_training_options(p: argparse.ArgumentParser) -> None:
    """The `_TRAIN_OPTIONS` of ``emotion train`` and ``emotion run``: one definition, the same help."""
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--balance", choices=_BALANCE_MODES, default=None,
                   help="class-imbalance handling, fitted inside each fold (default: class_weight)")
    p.add_argument("--cb-beta", type=float, default=None, help="beta of the class-balanced loss")
    p.add_argument("--lam", type=float, default=None,
                   help="weight of the emotion loss against the valence/arousal losses (MATE's lambda)")
    p.add_argument("--text-encoder", choices=["gru", "lstm", "sentence"], default=None)
    p.add_argument("--speech-model", choices=["crnn", "pooled"], default=None)
    p.add_argument("--seed", type=int, default=None)


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="cross-validate one modality (session-wise folds), then save its model")
    p.add_argument("--artifacts", required=True,
                   help="folder written by `emotion prepare`, or its bundle: FILE.zip or an https:// link")
    p.add_argument("--modality", required=True, choices=registry.modality_names(),
                   help="; ".join(f"{m.name}: {m.help}" for m in map(registry.modality, registry.modality_names())))
    p.add_argument("--run", default="default", help="run name: writes RUNS_DIR/RUN/MODALITY")
    p.add_argument("--runs-dir", default="runs", help="folder of all runs (default: %(default)s)")
    p.add_argument("--models", default="h5_models", help="where the final model goes (default: %(default)s)")
    p.add_argument("--folds", type=int, default=None,
                   help="outer folds (default: KEMDy19 5, KEMDy20 folds of 8 sessions)")
    p.add_argument("--test-sessions", type=_session_list, default=None, metavar="1,2,3,4",
                   help="one split with these test sessions instead of K folds")
    _add_folds_file(p)
    p.add_argument("--split", choices=["session", "random"], default="session",
                   help="random: utterance-level folds that LEAK speakers, only to compare with old numbers")
    _add_training_options(p)
    p.add_argument("--no-multitask", action="store_true", help="emotion head only (no valence/arousal heads)")
    p.add_argument("--format", choices=["keras", "h5"], default="keras",
                   help="h5: also write best_model_txt/wav/bio.h5 as the old notebooks did")
    p.add_argument("--verbose", action="store_true", help="show Keras progress per epoch")
    _add_cluster_option(p, "the folds", "--artifacts and --runs-dir")
    p.add_argument("--quiet", action="store_true", help="no progress bar over folds")
    _add_settings_options(p, "train")
    p.set_defaults(func=_cmd_train)


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="re-score a run's saved fold models without training")
    p.add_argument("--run", required=True, help="a run folder: runs/NAME/MODALITY")
    p.add_argument("--artifacts", default=None,
                   help="artifacts folder (or its bundle .zip / https:// link) if moved (default: as in config.json)")
    p.set_defaults(func=_cmd_evaluate)


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the whole pipeline: (sample corpus,) prepare, train, fuse, report")
    p.add_argument("--data", default=None,
                   help="a KEMDy19/KEMDy20 copy (default: the synthetic sample corpus, generated when absent)")
    p.add_argument("--artifacts", default=None,
                   help="artifacts folder (default: data/artifacts, or data/artifacts_<name> for --data); a finished "
                        "one without --data is trained on as it is (prebuilt artifacts: no corpus needed)")
    p.add_argument("--runs-dir", default="runs", help="folder of all runs (default: %(default)s)")
    p.add_argument("--run", default="demo", help="run name: writes RUNS_DIR/RUN (default: %(default)s)")
    p.add_argument("--models", default="h5_models", help="where the final models go (default: %(default)s)")
    p.add_argument("--corpus", choices=["kemdy19", "kemdy20"], default="kemdy19",
                   help="kind of sample corpus to generate when --data is not given")
    p.add_argument("--sessions", type=int, default=None, help="sessions of the generated sample corpus")
    p.add_argument("--folds", type=int, default=None, help="outer session-wise folds")
    p.add_argument("--test-sessions", type=_session_list, default=None, metavar="1,2,3,4",
                   help="one split with these test sessions instead of K folds")
    _add_folds_file(p)
    p.add_argument("--seeds", type=int, default=None,
                   help="repeat the cross-validation with seeds SEED, SEED+1, ... (default: 1); the report gives "
                        "mean ± sd over seeds")
    _add_training_options(p)
    p.add_argument("--no-early-fusion", action="store_true", help="skip the early-fusion network")
    _add_cluster_option(p, "prepare's chunks and every model x seed x fold", "the corpus, artifacts and runs "
                        "folders")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    _add_settings_options(p, "prepare, train and run")
    p.set_defaults(func=_cmd_run)


def _cmd_predict(args: argparse.Namespace) -> int:
    import warnings

    from emotion_classifier.files import check_new_file
    from emotion_classifier.predict import EmotionClassifier
    from emotion_classifier.predict_io import format_prediction

    single = {k: getattr(args, k) for k in ("wav", "text", "txt", "eda", "temp", "ibi", "ecg", "segment_id")}
    if bool(args.input) == any(v is not None for v in single.values()):
        raise InputError("give either --input (a folder or CSV) or one recording (--wav, --text/--txt, bio files)")
    if args.input:  # before the models load: a bad --out must not cost the predictions
        check_new_file(args.out, "--out", overwrite=args.overwrite)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        classifier = EmotionClassifier.load(args.models)
        if not args.input:
            result = classifier.predict(**single)
        else:
            n_rows, errors = _write_predictions(classifier.predict_chunks(args.input, PREDICT_CHUNK), args.out)
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    if not args.input:
        print(format_prediction(result))
        return 0
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"{n_rows} recordings, {len(errors)} failed; predictions written to {args.out}")
    return 1 if errors else 0


PREDICT_CHUNK = 64  # rows per chunk of `predict --input`: what an interruption or a failure can lose


def _write_predictions(chunks, out: str) -> tuple[int, list[str]]:
    """Append each predicted chunk to ``out`` as it arrives (header once), so a failure or Ctrl-C keeps
    the rows already done; returns the number of rows and the errors of the failed ones."""
    from emotion_classifier.files import FULL_DISK_ERRNOS

    n_rows, errors = 0, []
    try:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                chunk.to_csv(handle, index=False, header=n_rows == 0)
                handle.flush()
                n_rows += len(chunk)
                errors += [e for e in chunk["error"] if e]
    except OSError as exc:
        if exc.errno not in FULL_DISK_ERRNOS:
            raise
        raise InputError(f"--out: cannot write: {exc.strerror} (the {n_rows} rows before it are kept)", out) from None
    return n_rows, errors


def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="emotion of new recordings with the saved final models")
    p.add_argument("--models", default="h5_models",
                   help="folder of the saved models (or an `emotion export` folder: no TensorFlow needed), or their "
                        "bundle: FILE.zip or an https:// link (a Google Drive share link too; downloaded once into "
                        "$EMOTION_CACHE) (default: %(default)s)")
    p.add_argument("--wav", default=None, help="a wav file (converted to the training rate, mono)")
    transcript = p.add_mutually_exclusive_group()
    transcript.add_argument("--text", default=None, help="the transcript as text")
    transcript.add_argument("--txt", default=None, help="the transcript file (UTF-8, cp949 or EUC-KR)")
    for signal in ("eda", "temp", "ibi", "ecg"):
        p.add_argument(f"--{signal}", default=None, help=f"{signal.upper()} file (KEMDy19 or Empatica E4 export)")
    p.add_argument("--segment-id", default=None,
                   help="the segment to read in bio files that tag segments (default: the wav/txt file name)")
    p.add_argument("--input", default=None,
                   help="many recordings: a folder of wav/txt pairs, or a CSV with columns wav, text or txt, eda, "
                        "temp, ibi")
    p.add_argument("--out", default="predictions.csv", help="CSV written with --input (default: %(default)s); "
                   "an existing file is kept unless --overwrite")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=_cmd_predict)


def _cmd_export(args: argparse.Namespace) -> int:
    from emotion_classifier.export import EXPORT_FILE, MODEL_CARD, export_models

    record = export_models(args.models, args.out, args.format, run=args.run, force=args.force)
    if record.get("unchanged"):
        print(f"{args.out} already holds this {args.format} export of {args.models}: nothing to do")
        return 0
    checked = ", ".join(f"{m} {d:.1e}" for m, d in record["max_output_difference"].items())
    print(f"exported {', '.join(record['models'])} as {args.format} into {args.out} (with the sidecars, "
          f"{MODEL_CARD} and {EXPORT_FILE}); largest difference from Keras on probe inputs: {checked}")
    return 0


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export the final models as ONNX or LiteRT, for prediction without TensorFlow",
                       description="Every final model of --models (and the early-fusion network when fusion.json "
                                   "chooses it) as NAME.onnx or NAME.tflite beside its sidecar, with fusion.json, "
                                   "model_card.md and export.json. `emotion predict --models OUT` and "
                                   "EmotionClassifier.load(OUT) then need only onnxruntime (pip install "
                                   "'emotion_classifier[onnx]'). LiteRT cannot run the recurrent (text GRU/LSTM, "
                                   "speech CRNN) networks without TensorFlow's Flex ops: export refuses them there.")
    p.add_argument("--models", default="h5_models", help="the Keras models folder (default: %(default)s)")
    p.add_argument("--format", choices=("onnx", "litert"), default="onnx", help="(default: %(default)s)")
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write (written whole, then renamed)")
    p.add_argument("--run", default=None, metavar="RUN_DIR",
                   help="the run whose scores the model card gives (default: the run fusion.json names)")
    p.add_argument("--force", action="store_true", help="replace an --out folder that holds anything else")
    p.set_defaults(func=_cmd_export)


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from emotion_classifier.serve.app import (
            LOOPBACK_NAMES,
            ServeLimits,
            bind,
            create_app,
            describe,
            server,
            warm_up,
        )
    except ImportError as exc:
        raise InputError(f"emotion serve needs the [serve] extra ({exc.name} is missing): "
                         "pip install 'emotion_classifier[serve]'") from None
    from emotion_classifier.predict import EmotionClassifier

    limits = ServeLimits(max_mb=args.max_mb, max_seconds=args.max_seconds, workers=args.workers, queue=args.queue)
    sock = bind(args.host, args.port)  # before the models load: a taken port is said at once
    classifier = EmotionClassifier.load(args.models)
    took = warm_up(classifier)
    about = describe(classifier)
    print(f"[emotion serve] models from {classifier.folder}: {', '.join(about['models'])} ({about['method']}); "
          + (f"warmed up in {took:.1f} s" if took is not None else "no warm-up (no text or speech model)"))
    local = args.host in LOOPBACK_NAMES
    if not local:
        print(f"[emotion serve] listening on {args.host}: anyone who can reach this machine can send recordings",
              file=sys.stderr)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"[emotion serve] open http://{host}:{sock.getsockname()[1]}/  (Ctrl-C stops)", flush=True)
    server(create_app(classifier, limits, LOOPBACK_NAMES if local else None)).run(sockets=[sock])
    return 0


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="a local web page and JSON API (POST /predict) on the saved models",
                       description="Serves the models of --models over HTTP: the page at /, POST /predict (multipart "
                                   "fields wav, text, eda, temp, ibi), GET /health. Needs the [serve] extra.")
    p.add_argument("--models", default="h5_models", help="folder of the saved models, or their bundle (as for "
                   "`emotion predict`) (default: %(default)s)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this machine "
                   "only; 0.0.0.0 opens it to the network)")
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s; 0: any free port)")
    p.add_argument("--max-mb", type=float, default=20.0, help="largest request body in MB (default: %(default)s)")
    p.add_argument("--max-seconds", type=float, default=60.0, help="longest wav in seconds (default: %(default)s)")
    p.add_argument("--workers", type=int, default=1, help="predictions at once (default: %(default)s)")
    p.add_argument("--queue", type=int, default=8,
                   help="requests that may wait for a worker; more get 503 (default: %(default)s)")
    p.set_defaults(func=_cmd_serve)


def _bundle_folder(value: str, kind: str, what: str, *, quiet: bool = False) -> str:
    """``--artifacts``/``--models`` given as a bundle (``.zip`` or ``https://`` link): its folder unpacked
    in the cache (`bundles.resolve`); a folder path is returned unchanged."""
    from emotion_classifier.bundles.resolve import is_bundle, resolve_folder

    if not is_bundle(value):
        return value
    folder = resolve_folder(value, kind, progress=not quiet)
    print(f"{what}: using {folder} (unpacked from {value})", file=sys.stderr)
    return str(folder)


def _refuse_bundle_output(value, what: str) -> None:
    """An output folder given as a bundle: a zip or a link can only be read."""
    from emotion_classifier.bundles.resolve import is_bundle

    if is_bundle(value):
        raise InputError(f"{what}: this command writes there, and a bundle (.zip or https:// link) can only be read; "
                         "give a folder, then `emotion bundle` it", value)


def _bundle_run_config(config, *, quiet: bool):
    """``emotion run``'s artifacts (option or settings file) given as a bundle: the unpacked folder."""
    import dataclasses
    from pathlib import Path

    _refuse_bundle_output(config.models_dir, "--models")
    if config.artifacts is None:
        return config
    folder = _bundle_folder(str(config.artifacts), "artifacts", "--artifacts", quiet=quiet)
    return dataclasses.replace(config, artifacts=Path(folder))


def _cmd_bundle(args: argparse.Namespace) -> int:
    from pathlib import Path

    from emotion_classifier.bundles.pack import file_sha256, write_bundle

    manifest = write_bundle(args.folder, args.kind, args.out, overwrite=args.overwrite, progress=not args.quiet)
    for item in manifest["left_out"]:
        print(f"left out: {item}")
    print(f"{manifest['kind']} bundle written to {args.out}: {manifest['n_files']} files, "
          f"{manifest['total_bytes'] / 2**20:.1f} MiB -> {Path(args.out).stat().st_size / 2**20:.1f} MiB")
    print(f"sha256 {file_sha256(args.out)} (end a shared link with #sha256=<it> to pin this exact bundle)")
    return 0


def _add_bundle(sub: argparse._SubParsersAction) -> None:
    from emotion_classifier.bundles.content import ALLOWED_SUFFIXES, KINDS

    p = sub.add_parser("bundle", help="pack an artifacts, models or run folder into one zip to share (Drive, a link)",
                       description="One zip holding the folder and bundle.json (every file's size and sha256). "
                                   f"Only data files are packed ({' '.join(ALLOWED_SUFFIXES)}); hidden entries such "
                                   "as prepare's .cache/ are left out and listed. Use it as --artifacts FILE.zip / "
                                   "--models FILE.zip, or share it and give its https:// link.")
    p.add_argument("kind", choices=list(KINDS), help="; ".join(f"{k}: {v.help}" for k, v in KINDS.items()))
    p.add_argument("folder", metavar="DIR", help="the folder to pack")
    p.add_argument("--out", required=True, metavar="FILE.zip", help="the bundle to write (kept unless --overwrite)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_bundle)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emotion",
        description="Multimodal (text, speech, body signals) emotion recognition for KEMDy19/KEMDy20.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_sample_data, _add_inspect, _add_prepare, _add_train, _add_evaluate, _add_run, _add_predict,
                _add_export, _add_serve, _add_bundle):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    args.given = _given_options(parser, argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `emotion inspect --json | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted: finished work is kept; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
