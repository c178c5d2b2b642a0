"""The fake modality runs of the fusion tests also feed the report tests (one generator, two users)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fusion"))
