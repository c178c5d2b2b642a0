"""The exported folder the export and light-predictor tests read.

``EMOTION_LIGHT_EXPORT`` names a folder built beforehand by ``tests/export/export_build.py`` (what
``make test-light`` does with the main venv, since the light venv has no Keras to build one); a missing or
incomplete folder then FAILS the tests, it never skips them. Without the variable (the main suite) the
folder is built here, once per session.
"""

import os
from pathlib import Path

import pytest
from export_build import ONNX_DIR, RECORDINGS, REFERENCE, build

ENV = "EMOTION_LIGHT_EXPORT"


@pytest.fixture(scope="session")
def export_root(tmp_path_factory) -> Path:
    given = os.environ.get(ENV)
    if not given:
        return build(tmp_path_factory.mktemp("export_build"))
    root = Path(given)
    missing = [name for name in (ONNX_DIR, RECORDINGS, REFERENCE) if not (root / name).exists()]
    if missing:
        pytest.fail(f"{ENV}={given}: no {', '.join(missing)} there (build it: python tests/export/export_build.py DIR)")
    return root
