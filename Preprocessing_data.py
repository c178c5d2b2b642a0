"""`python Preprocessing_data.py [--data DIR] [--out ARTIFACTS] ...`: the same as `emotion prepare`.

Kept under the name the original per-modality project used, so its users find the step where
they expect it; all the work is in `emotion_classifier.features.prepare`.
"""

import sys

from emotion_classifier.cli import main

if __name__ == "__main__":
    sys.exit(main(["prepare", *sys.argv[1:]]))
