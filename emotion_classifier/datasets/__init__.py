"""Reading KEMDy19/KEMDy20 copies: corpus detection, annotation readers, transcripts, bio files.

``open_corpus`` is the entry point; the other names are exported for the feature stage and tests.
See docs/architecture.md for the segment-table and bio-reader contracts.
"""

from emotion_classifier.datasets.bio import BIO_SIGNALS, BioRecording, bio_files_for, read_bio_file
from emotion_classifier.datasets.coverage import bio_coverage
from emotion_classifier.datasets.layout import KEMDY19, KEMDY20, detect_corpus
from emotion_classifier.datasets.segment_table import SEGMENT_COLUMNS, open_corpus
from emotion_classifier.datasets.transcripts import clean_transcript, read_transcript

__all__ = [
    "BIO_SIGNALS",
    "KEMDY19",
    "KEMDY20",
    "SEGMENT_COLUMNS",
    "BioRecording",
    "bio_coverage",
    "bio_files_for",
    "clean_transcript",
    "detect_corpus",
    "open_corpus",
    "read_bio_file",
    "read_transcript",
]
