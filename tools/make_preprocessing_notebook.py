"""Write Preprocessing_data.ipynb: `.venv/bin/python tools/make_preprocessing_notebook.py [--out DIR]`.

The notebook is generated so that its cells stay reviewable as code; test_preprocessing_notebook.py
checks the committed file matches this script and runs it headless.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell
from notebook_kit import COLAB_CELL, COLAB_MARKDOWN, assemble, main, write

FILENAME = "Preprocessing_data.ipynb"

CELLS: list[tuple[str, str]] = [
    ("md", """# Preprocessing KEMDy19 / KEMDy20

The same steps as `emotion prepare` (or `python Preprocessing_data.py`): prepare the aligned artifacts
(text tokens, MFCC frames, body-signal features) from a corpus, or take prebuilt ones as they are, then
look at each stage: the segment table, the class balance, the transcript cleaning, the tokens, one
segment's MFCC frames, the per-segment feature summary and one dialogue's body signals.

By default it runs on the **synthetic** sample corpus (generated on first use). Its numbers mean nothing
about real emotions; point `EMOTION_DATA` at your own copy for that."""),
    ("md", COLAB_MARKDOWN),
    ("code", COLAB_CELL),
    ("code", """# Paths and settings: EMOTION_* environment variables (set above on Colab) over the settings file
# EMOTION_CONFIG names (an experiment.toml, as `emotion run --config` reads) over the defaults.
from emotion_classifier.workspace import Workspace

WS = Workspace.from_environment()
print(WS.describe())
SETTINGS = WS.settings  # SETTINGS.prepare: view, tie policy, tokenizer, audio and bio settings"""),
    ("md", """## Prepare the artifacts, or use prebuilt ones
Prebuilt artifacts without a corpus are used as they are. A corpus is prepared: cached and incremental, so
running this cell again with nothing changed takes seconds. A corpus folder you named that does not exist
stops here: nothing is generated there."""),
    ("code", """from emotion_classifier import feature_summary, segment_table, token_table
from emotion_classifier.features import load_artifacts

ARTIFACTS = WS.ready_artifacts()
art = load_artifacts(ARTIFACTS)  # loaded once; each table below is one call on it (or on the folder)"""),
    ("md", """## The segment table
One row per segment; `emotion` is '' for rater ties under the `drop` policy, which keeps them counted but
out of training. `has_text`, `has_audio`, `has_bio` say which modalities the segment has."""),
    ("code", """table = segment_table(art)
print(len(table), "segments;", len(art.manifest["corpus_problems"]), "problems reported by the reader")
columns = ["segment_id", "person", "emotion", "emotions", "valence", "arousal", "text", "has_audio", "has_bio"]
table[columns].head(10)"""),
    ("code", """from emotion_classifier.features.plots import plot_class_balance

plot_class_balance(table);"""),
    ("md", "## Transcripts before and after cleaning (ETRI tags, overlaps, dual spellings)"),
    ("code", """from emotion_classifier.features.plots import cleaning_examples

cleaning_examples(table)"""),
    ("md", "## Tokens (morphemes) of each transcript"),
    ("code", """token_table(art).head()"""),
    ("md", "## MFCC frames of one segment"),
    ("code", """from emotion_classifier.features.plots import plot_feature_image

first_audio = int(art.table["has_audio"].to_numpy().argmax())
print(art.table.loc[first_audio, "segment_id"], art.audio[first_audio].shape)
plot_feature_image(art.audio[first_audio], art.audio_feature_names);"""),
    ("md", "## Per-segment feature summary: tokens, audio frames and seconds, bio features present"),
    ("code", """feature_summary(art).head()"""),
    ("md", "## Body signals: per-segment features, and one dialogue with its segments"),
    ("code", """art.bio.head()"""),
    ("code", """from pathlib import Path

from emotion_classifier.features.plots import plot_dialogue_bio

if Path(art.manifest["root"]).is_dir():
    dialogue = art.table.loc[art.table["has_bio"], "dialogue"].iloc[0]
    plot_dialogue_bio(art.table, dialogue, art.manifest["root"])
else:  # prebuilt artifacts travel without the raw signals
    print(f"one dialogue's raw body signals skipped: the corpus ({art.manifest['root']}) is not here")"""),
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
