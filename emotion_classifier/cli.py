"""The ``emotion`` command: argument parsing only; every subcommand calls the library.

Heavy imports live inside the ``_cmd_*`` functions so that ``emotion --help`` is instant.
Input problems (``InputError``) are printed as one line naming the file, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from emotion_classifier import __version__
from emotion_classifier.errors import InputError

DEFAULT_SAMPLE_DIR = "data/sample_kemdy19"


def _cmd_sample_data(args: argparse.Namespace) -> int:
    from emotion_classifier.datasets.synthetic import generate_corpus

    corpus = generate_corpus(args.out, corpus=args.corpus, sessions=args.sessions, seed=args.seed)
    print(corpus.summary())
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    import json

    from emotion_classifier.datasets import open_corpus
    from emotion_classifier.datasets.summary import format_summary, summarise

    table = open_corpus(args.data, tie_policy=args.ties)
    summary = summarise(table)
    if args.out:
        table.to_csv(args.out, index=False)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(format_summary(summary))
        if args.out:
            print(f"segment table written to {args.out}")
    return 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    from emotion_classifier.features import PrepareConfig, prepare

    config = PrepareConfig(
        view=args.view, ties=args.ties, tokenizer=args.tokenizer, stopwords=args.stopwords, n_mfcc=args.n_mfcc,
        log_mel=args.log_mel, deltas=args.deltas, jobs=args.jobs, strict=args.strict,
    )  # fmt: skip
    prepare(args.data, args.out, config, progress=not args.quiet)
    return 0


def _add_sample_data(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample-data", help="write a synthetic corpus in the exact KEMDy file formats")
    p.add_argument("--corpus", choices=["kemdy19", "kemdy20"], default="kemdy19")
    p.add_argument("--out", default=DEFAULT_SAMPLE_DIR, help="folder to write (default: %(default)s)")
    p.add_argument("--sessions", type=int, default=None, help="number of sessions (default: the demo size)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_cmd_sample_data)


def _add_inspect(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="summarise a KEMDy19/KEMDy20 copy (or the sample corpus)")
    p.add_argument("--data", required=True, help="corpus root folder")
    p.add_argument("--ties", choices=["drop", "first", "vote"], default="drop", help="tie policy")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--out", default=None, help="write the segment table to this CSV")
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
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--strict", action="store_true", help="stop at the first unreadable wav or empty transcript")
    p.add_argument("--quiet", action="store_true", help="no progress bars or summary")
    p.set_defaults(func=_cmd_prepare)


def _cmd_predict(args: argparse.Namespace) -> int:
    import warnings

    from emotion_classifier.predict import EmotionClassifier, format_prediction

    single = {k: getattr(args, k) for k in ("wav", "text", "txt", "eda", "temp", "ibi", "ecg", "segment_id")}
    if bool(args.input) == any(v is not None for v in single.values()):
        raise InputError("give either --input (a folder or CSV) or one recording (--wav, --text/--txt, bio files)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        classifier = EmotionClassifier.load(args.models)
        result = classifier.predict_many(args.input) if args.input else classifier.predict(**single)
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    if not args.input:
        print(format_prediction(result))
        return 0
    result.to_csv(args.out, index=False)
    failed = result[result["error"] != ""]
    for _, row in failed.iterrows():
        print(f"error: {row['error']}", file=sys.stderr)
    print(f"{len(result)} recordings, {len(failed)} failed; predictions written to {args.out}")
    return 1 if len(failed) else 0


def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="emotion of new recordings with the saved final models")
    p.add_argument("--models", default="h5_models", help="folder of the saved models (default: %(default)s)")
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
    p.add_argument("--out", default="predictions.csv", help="CSV written with --input (default: %(default)s)")
    p.set_defaults(func=_cmd_predict)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emotion",
        description="Multimodal (text, speech, body signals) emotion recognition for KEMDy19/KEMDy20.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in (_add_sample_data, _add_inspect, _add_prepare, _add_predict):
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished work is kept; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
