"""Write the three per-modality notebooks (Text/Wav/Bio_emotion_detector.ipynb) from one template.

The notebooks are thin on purpose: every cell calls the package, so what they do is what the tests
exercise. Regenerate them after changing this file:

    .venv/bin/python tools/make_notebooks.py            # writes into the repository root
    .venv/bin/python tools/make_notebooks.py --out DIR
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_kit import assemble, main, write

NOTEBOOKS: dict[str, tuple[str, str]] = {
    "text": ("Text_emotion_detector.ipynb", "the transcript (Mecab morphemes)"),
    "speech": ("Wav_emotion_detector.ipynb", "the voice (log-mel / MFCC frames)"),
    "bio": ("Bio_emotion_detector.ipynb", "the body signals (EDA, skin temperature, ECG / IBI)"),
}

PATHS_CELL = '''\
# Paths and settings. Environment variables override the settings file EMOTION_CONFIG names (an
# experiment.toml, as `emotion run --config` reads), which overrides the defaults; the defaults train on
# the synthetic sample corpus, which is generated and prepared here when it is not there yet.
# Google Colab: keep corpora, artifacts and runs on Drive, e.g.
# from google.colab import drive; drive.mount("/content/gdrive")
# os.environ["EMOTION_DATA"] = "/content/gdrive/MyDrive/KEMDy19"
# os.environ["EMOTION_ARTIFACTS"] = "/content/gdrive/MyDrive/kemdy19_artifacts"
import os
from pathlib import Path

from emotion_classifier import generate_corpus, prepare
from emotion_classifier.settings import load_settings

SETTINGS = load_settings(os.environ.get("EMOTION_CONFIG"))  # no file: the defaults
DATA = Path(os.environ.get("EMOTION_DATA", SETTINGS.run.data_dir))
ARTIFACTS = Path(os.environ.get("EMOTION_ARTIFACTS", SETTINGS.run.artifacts_dir))
RUNS = Path(os.environ.get("EMOTION_RUNS", SETTINGS.run.runs_dir))
MODELS = Path(os.environ.get("EMOTION_MODELS", SETTINGS.run.models_dir))
RUN_NAME = os.environ.get("EMOTION_RUN", "notebooks")
EPOCHS = int(os.environ.get("EMOTION_EPOCHS", SETTINGS.train.epochs))
FOLDS = int(os.environ.get("EMOTION_FOLDS", 0)) or SETTINGS.run.n_folds  # None: the corpus default (KEMDy19: 5)
SAMPLE_SESSIONS = int(os.environ.get("EMOTION_SAMPLE_SESSIONS", 0)) or SETTINGS.run.sample_sessions  # None: demo size
FOLD_PLAN = {"n_folds": FOLDS, "test_sessions": SETTINGS.run.test_sessions, "folds_file": SETTINGS.run.folds_file}

if not DATA.exists():
    generate_corpus(DATA, corpus=SETTINGS.run.sample_corpus, sessions=SAMPLE_SESSIONS, seed=SETTINGS.run.seed)
ARTIFACTS = prepare(DATA, ARTIFACTS, SETTINGS.prepare)  # cached: a second call only checks that nothing changed'''

TRAIN_CELL = '''\
import dataclasses

from emotion_classifier.training.train import train_modality

MODALITY = "{modality}"
RUN_DIR = RUNS / RUN_NAME / MODALITY
config = dataclasses.replace(SETTINGS.train, epochs=EPOCHS)
metrics = train_modality(ARTIFACTS, MODALITY, config, RUN_DIR, models_dir=MODELS, **FOLD_PLAN)'''

TABLE_CELL = '''\
from emotion_classifier.reporting.training_summary import summary_table

summary_table(metrics)'''

FIGURES_CELL = '''\
from IPython.display import Image, display

from emotion_classifier.training.runs import RunPaths

paths = RunPaths(RUN_DIR)
for figure in (paths.confusion_png, paths.curves_png, paths.per_class_png):
    display(Image(filename=str(figure)))'''

EVALUATE_CELL = '''\
from emotion_classifier.training.train import evaluate_run

check = evaluate_run(RUN_DIR)
print("saved fold models reproduce the stored predictions:", check["matches_stored"])'''


def build_notebook(modality: str) -> nbformat.NotebookNode:
    """One notebook: paths, session-wise training, per-fold table, figures, re-scoring check."""
    filename, what = NOTEBOOKS[modality]
    title = filename.removesuffix(".ipynb").replace("_", " ")
    cells = [
        new_markdown_cell(
            f"# {title}\n\n"
            f"Recognises the seven emotions (and valence/arousal) from {what} alone, evaluated with "
            "session-wise folds: no speaker, and no improvised wording, is in both training and test data. "
            "Run the cells top to bottom.\n\n"
            "> The default sample corpus is **synthetic**: its scores only show that the pipeline works."
        ),
        new_code_cell(PATHS_CELL),
        new_markdown_cell(
            "## Train\n\nOne model per fold (early stopping on validation sessions taken from the training "
            "sessions), then the final model on all sessions, saved to `MODELS`."
        ),
        new_code_cell(TRAIN_CELL.format(modality=modality)),
        new_markdown_cell("## Scores per fold (mean ± sd over folds in the last row)"),
        new_code_cell(TABLE_CELL),
        new_markdown_cell("## Confusion matrix, training curves, per-class F1"),
        new_code_cell(FIGURES_CELL),
        new_markdown_cell("## Re-score the saved fold models without training"),
        new_code_cell(EVALUATE_CELL),
    ]
    return assemble(cells, modality)


def write_notebooks(out_dir: str | Path) -> list[Path]:
    """Write all three notebooks into ``out_dir`` (without outputs, so diffs stay readable)."""
    written = []
    for modality, (filename, _) in NOTEBOOKS.items():
        written.append(write(build_notebook(modality), out_dir, filename))
    return written


if __name__ == "__main__":
    main(__doc__, write_notebooks)
