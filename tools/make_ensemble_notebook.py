"""Write Ensemble_emotion.ipynb: late fusion of the modality runs, thin like the modality notebooks.

The modalities are the settings' ``run.modalities`` (``EMOTION_CONFIG``; by default the registry's
default ones: text, speech, bio), so a settings file choosing the pretrained-encoder modalities
(``speech_ssl``, ``text_plm``) gets them trained, fused and compared here.

It shares their paths cell (the same environment variables and sample defaults, see
``make_notebooks.py``), so the runs a modality notebook trained are reused instead of retrained.
Regenerate it after changing this file:

    .venv/bin/python tools/make_ensemble_notebook.py            # writes into the repository root
    .venv/bin/python tools/make_ensemble_notebook.py --out DIR
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from make_notebooks import PATHS_CELL
from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_kit import COLAB_CELL, COLAB_MARKDOWN, assemble, main, write

FILENAME = "Ensemble_emotion.ipynb"

TRAIN_CELL = '''\
import dataclasses

from emotion_classifier.training.runs import RunPaths
from emotion_classifier.training.train import train_modality

RUN_ROOT = RUNS / RUN_NAME
# run.modalities of the settings file EMOTION_CONFIG names (default: text, speech, bio); speech_ssl and
# text_plm read the encoders [prepare] speech_encoders / text_encoders prepared
run_dirs = {modality: RUN_ROOT / modality for modality in SETTINGS.run.modalities}
print("modalities:", ", ".join(run_dirs))
config = dataclasses.replace(SETTINGS.train, epochs=EPOCHS)
for modality, run_dir in run_dirs.items():
    if RunPaths(run_dir).metrics.exists():
        print(f"{modality}: reusing the finished run in {run_dir}")
    else:
        train_modality(ARTIFACTS, modality, config, run_dir, models_dir=MODELS, **FOLD_PLAN)'''

FUSION_CELL = '''\
import pandas as pd

from emotion_classifier.fusion.late import fuse_runs

fusion = fuse_runs(run_dirs, RUN_ROOT / "fusion", methods=SETTINGS.run.fusion_methods)
pd.DataFrame(fusion["combinations"]).fillna(0).astype(int).rename_axis("available modalities")'''

FUSED_CELL = '''\
from emotion_classifier import fused_predictions

fused_predictions(RUN_ROOT, "soft_vote").head()  # every fused test row, with the predicted emotion'''

COMPARISON_CELL = '''\
from IPython.display import Markdown, display

from emotion_classifier.reporting.report import comparison, write_report
from emotion_classifier.reporting.run_contents import collect_run

report = write_report(RUN_ROOT)  # also writes report.md / report.html with every figure
display(Markdown("\\n\\n".join(block.markdown for block in comparison(collect_run(RUN_ROOT)))))
print(f"full report: {report} and {report.with_suffix('.html')}")'''

FIGURES_CELL = '''\
from IPython.display import Image

from emotion_classifier.reporting.report import FIGURES_FOLDER

figures = RUN_ROOT / FIGURES_FOLDER
for figure in [figures / "per_class_f1.png", *sorted(figures.glob("confusion_fusion_*.png"))]:
    display(Image(filename=str(figure)))'''

PREDICT_CELL = '''\
from emotion_classifier import EmotionClassifier, segment_table
from emotion_classifier.tables import segments_with_files

found, missing = segments_with_files(segment_table(ARTIFACTS))
if found.empty:  # prebuilt artifacts without the corpus: the recordings are not here
    print(f"prediction of corpus segments skipped: the wav/txt files of all {missing} segments are not here "
          "(set EMOTION_DATA to the corpus to try it)")
else:
    example = found.iloc[0]
    classifier = EmotionClassifier.load(MODELS)
    result = classifier.predict(wav=example["wav_path"], txt=example["txt_path"])
    print(f"{example['segment_id']}: {result['emotion']} (rated {example['emotions']}), "
          f"modalities {result['modalities']}")
    display(pd.Series(result["probabilities"]).round(3))'''


def build_notebook() -> nbformat.NotebookNode:
    """Paths, the settings' modality runs (trained when absent), late fusion, comparison, figures, predict."""
    cells = [
        new_markdown_cell(
            "# Ensemble emotion\n\n"
            "Combines the modality models by late fusion (soft vote, weighted vote, stacking): those the "
            "settings' `run.modalities` name (text, speech and bio by default; `speech_ssl` and `text_plm` "
            "for the frozen pretrained encoders, see the README's \"Pretrained encoders\"). "
            "Fusion weights and stackers are fitted on each fold's validation sessions only, then scored on "
            "the same session-wise test folds as the single modalities. Run the cells top to bottom.\n\n"
            "> The default sample corpus is **synthetic**: its scores only show that the pipeline works."
        ),
        new_markdown_cell(COLAB_MARKDOWN),
        new_code_cell(COLAB_CELL),
        new_code_cell(PATHS_CELL),
        new_markdown_cell(
            "## The modality runs\n\nReused when a modality notebook (or `emotion run`) already "
            "wrote them under `RUNS/RUN_NAME`; trained here otherwise."
        ),
        new_code_cell(TRAIN_CELL),
        new_markdown_cell("## Late fusion\n\nHow many test and validation rows had each combination of modalities:"),
        new_code_cell(FUSION_CELL),
        new_code_cell(FUSED_CELL),
        new_markdown_cell("## Modalities and fusion methods compared"),
        new_code_cell(COMPARISON_CELL),
        new_markdown_cell("## Per-class F1 and the fused confusion matrices"),
        new_code_cell(FIGURES_CELL),
        new_markdown_cell("## Predict one recording with the final models"),
        new_code_cell(PREDICT_CELL),
    ]
    return assemble(cells, "ensemble")


def write_notebook(out_dir: str | Path) -> Path:
    """Write the notebook into ``out_dir`` (without outputs, so diffs stay readable)."""
    return write(build_notebook(), out_dir, FILENAME)


if __name__ == "__main__":
    main(__doc__, write_notebook)
