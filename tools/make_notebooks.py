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
from notebook_kit import COLAB_CELL, COLAB_MARKDOWN, assemble, main, write

NOTEBOOKS: dict[str, tuple[str, str]] = {
    "text": ("Text_emotion_detector.ipynb", "the transcript (Mecab morphemes)"),
    "speech": ("Wav_emotion_detector.ipynb", "the voice (log-mel / MFCC frames)"),
    "bio": ("Bio_emotion_detector.ipynb", "the body signals (EDA, skin temperature, ECG / IBI)"),
}

PATHS_CELL = '''\
# Paths and settings: EMOTION_* environment variables (set above on Colab) over the settings file
# EMOTION_CONFIG names (an experiment.toml, as `emotion run --config` reads) over the defaults.
from emotion_classifier.workspace import Workspace

WS = Workspace.from_environment()
print(WS.describe())
# Prebuilt artifacts without a corpus are used as they are; a corpus is prepared (cached); a corpus folder
# you named that does not exist stops here (nothing is generated there); without either, the synthetic
# sample corpus is generated in its default folder and prepared.
ARTIFACTS = WS.ready_artifacts()
SETTINGS, RUNS, MODELS, RUN_NAME, EPOCHS = WS.settings, WS.runs, WS.models, WS.run_name, WS.epochs
FOLD_PLAN = WS.fold_plan'''

TRAIN_CELL = '''\
import dataclasses

from emotion_classifier.training.train import train_modality

MODALITY = "{modality}"
RUN_DIR = RUNS / RUN_NAME / MODALITY
config = dataclasses.replace(SETTINGS.train, epochs=EPOCHS)
metrics = train_modality(ARTIFACTS, MODALITY, config, RUN_DIR, models_dir=MODELS, **FOLD_PLAN)'''

TABLE_CELL = '''\
from emotion_classifier import fold_scores
from emotion_classifier.reporting.training_summary import summary_table

print("the same scores as numbers, one call: fold_scores(RUN_DIR)")
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
        new_markdown_cell(COLAB_MARKDOWN),
        new_code_cell(COLAB_CELL),
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
