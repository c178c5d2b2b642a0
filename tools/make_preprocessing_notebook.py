"""Write Preprocessing_data.ipynb: `.venv/bin/python tools/make_preprocessing_notebook.py [--out DIR]`.

The notebook is generated so that its cells stay reviewable as code; test_preprocessing_notebook.py
checks the committed file matches this script and runs it headless.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_kit import assemble, main, write

FILENAME = "Preprocessing_data.ipynb"

CELLS: list[tuple[str, str]] = [
    ("md", """# Preprocessing KEMDy19 / KEMDy20

The same steps as `emotion prepare` (or `python Preprocessing_data.py`), cell by cell: read the corpus,
look at the segment table, the class balance and the transcript cleaning, then write the aligned
artifacts (text tokens, MFCC frames, body-signal features) and look at one segment and one dialogue.

By default it runs on the **synthetic** sample corpus (generated on first use). Its numbers mean nothing
about real emotions; point `DATA` at your own copy for that."""),
    ("code", """import os
from pathlib import Path

# Your own copy, e.g. on Google Drive in Colab:
# from google.colab import drive
# drive.mount("/content/gdrive")
# os.environ["EMOTION_DATA"] = "/content/gdrive/MyDrive/KEMDy19"
# os.environ["EMOTION_ARTIFACTS"] = "/content/gdrive/MyDrive/artifacts_kemdy19"
# A settings file (an experiment.toml, as `emotion run --config` reads): os.environ["EMOTION_CONFIG"] = "..."
from emotion_classifier.settings import load_settings

SETTINGS = load_settings(os.environ.get("EMOTION_CONFIG"))  # no file: the defaults
VIEW, TIES = SETTINGS.prepare.view, SETTINGS.prepare.ties  # whose labels; what to do with rater ties
DATA = Path(os.environ.get("EMOTION_DATA", SETTINGS.run.data_dir))
OUT = Path(os.environ.get("EMOTION_ARTIFACTS", SETTINGS.run.artifacts_dir))
JOBS = int(os.environ.get("EMOTION_JOBS", "0")) or SETTINGS.prepare.jobs  # None: all cores
SAMPLE_SESSIONS = int(os.environ.get("EMOTION_SAMPLE_SESSIONS", "0")) or SETTINGS.run.sample_sessions"""),
    ("code", """from emotion_classifier.datasets.synthetic import generate_corpus

if not DATA.exists():  # only the sample corpus is generated; a real copy must already be there
    print(generate_corpus(DATA, corpus="kemdy19", sessions=SAMPLE_SESSIONS, seed=0).summary())"""),
    ("md", """## The segment table
One row per segment (and view); `emotion` is '' for rater ties under the `drop` policy, which keeps them
counted but out of training."""),
    ("code", """from emotion_classifier.datasets import open_corpus
from emotion_classifier.features.prepare import select_view

table = select_view(open_corpus(DATA, tie_policy=TIES), VIEW, DATA)
print(len(table), "segments;", len(table.attrs["problems"]), "problems reported by the reader")
table[["segment_id", "person", "emotion", "emotions", "valence", "arousal", "text"]].head(10)"""),
    ("code", """from emotion_classifier.features.plots import plot_class_balance

plot_class_balance(table);"""),
    ("md", "## Transcripts before and after cleaning (ETRI tags, overlaps, dual spellings)"),
    ("code", """from emotion_classifier.features.plots import cleaning_examples

cleaning_examples(table)"""),
    ("md", """## Prepare the artifacts
Cached and incremental: running this cell again with nothing changed takes seconds."""),
    ("code", """from emotion_classifier.features import load_artifacts, prepare

prepare(DATA, OUT, SETTINGS.prepare, view=VIEW, ties=TIES, jobs=JOBS)
art = load_artifacts(OUT)
art.table[["segment_id", "emotion", "has_text", "has_audio", "has_bio"]].head()"""),
    ("code", """first_text = int(art.table["has_text"].to_numpy().argmax())
print(art.table.loc[first_text, "text"])
print(art.tokens[first_text])"""),
    ("md", "## MFCC frames of one segment"),
    ("code", """from emotion_classifier.features.plots import plot_feature_image

first_audio = int(art.table["has_audio"].to_numpy().argmax())
print(art.table.loc[first_audio, "segment_id"], art.audio[first_audio].shape)
plot_feature_image(art.audio[first_audio], art.audio_feature_names);"""),
    ("md", "## Body signals: per-segment features, and one dialogue with its segments"),
    ("code", """art.bio.head()"""),
    ("code", """from emotion_classifier.features.plots import plot_dialogue_bio

dialogue = art.table.loc[art.table["has_bio"], "dialogue"].iloc[0]
plot_dialogue_bio(art.table, dialogue, art.manifest["root"]);"""),
    ("code", """from emotion_classifier.features.manifest import format_summary

print(format_summary(art.manifest))"""),
]


def build_notebook() -> nbformat.NotebookNode:
    cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    return assemble(cells, "cell")


def write_notebook(out_dir: str | Path) -> Path:
    return write(build_notebook(), out_dir, FILENAME)


if __name__ == "__main__":
    main(__doc__, write_notebook)
