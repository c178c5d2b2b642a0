"""Network runners of exported models: ``NAME.onnx`` (ONNX Runtime) or ``NAME.tflite`` (LiteRT).

A loaded model is its sidecar-driven input encoder (`training.encoders`, the code training uses)
plus a *network runner*: anything with ``predict_on_batch(inputs) -> {output name: array}``, where
``inputs`` is what the encoder's ``transform`` returns (one array, or a dict of named arrays for the
early-fusion network). A Keras model is one; `OnnxNetwork` and `LiteRTNetwork` are the others, so
an exported folder predicts through exactly the same encoders without importing Keras or TensorFlow.
This module imports neither: each runtime is imported when a file of its format is loaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emotion_classifier.errors import InputError

EXPORT_SUFFIXES: dict[str, str] = {"onnx": ".onnx", "litert": ".tflite"}
"""Export format -> the file suffix of its networks (``emotion export --format``)."""


def _named_inputs(inputs, names: list[str], where: Path) -> dict[str, np.ndarray]:
    """The encoder's output as ``{input name: array}`` (one array goes to the network's only input)."""
    if isinstance(inputs, dict):
        missing = sorted(set(names) - set(inputs))
        if missing:
            raise InputError(f"the network wants inputs {missing} its encoder does not make", where)
        return {name: np.asarray(inputs[name]) for name in names}
    if len(names) != 1:
        raise InputError(f"the network has {len(names)} inputs, its encoder makes one", where)
    return {names[0]: np.asarray(inputs)}


class OnnxNetwork:
    """An exported network run by ONNX Runtime (CPU), with the Keras model's input and output names."""

    def __init__(self, path: str | Path):
        try:
            import onnxruntime
        except ImportError:
            raise InputError("an ONNX model needs onnxruntime: pip install 'emotion_classifier[onnx]'", path) from None
        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own classes for a damaged file
            raise InputError(f"not a readable ONNX model ({type(exc).__name__}): export it again", path) from None
        self._types = {i.name: _ONNX_TYPES.get(i.type, "float32") for i in self.session.get_inputs()}
        self.output_names = [o.name for o in self.session.get_outputs()]

    def predict_on_batch(self, inputs) -> dict[str, np.ndarray]:
        feed = _named_inputs(inputs, list(self._types), self.path)
        feed = {name: value.astype(self._types[name], copy=False) for name, value in feed.items()}
        return dict(zip(self.output_names, self.session.run(self.output_names, feed), strict=True))


_ONNX_TYPES = {"tensor(float)": "float32", "tensor(int32)": "int32", "tensor(int64)": "int64",
               "tensor(double)": "float64"}  # fmt: skip


class LiteRTNetwork:
    """An exported network run by the LiteRT interpreter (``ai-edge-litert``), through its signature."""

    def __init__(self, path: str | Path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise InputError("a LiteRT model needs ai-edge-litert: pip install ai-edge-litert", path) from None
        self.path = Path(path)
        try:
            interpreter = Interpreter(model_path=str(path))
            self._runner = interpreter.get_signature_runner()
        except Exception as exc:  # the interpreter raises ValueError/RuntimeError for a damaged file
            raise InputError(f"not a readable LiteRT model ({type(exc).__name__}): export it again", path) from None
        details = self._runner.get_input_details()
        self._types = {name: np.dtype(d["dtype"]).name for name, d in details.items()}

    def predict_on_batch(self, inputs) -> dict[str, np.ndarray]:
        feed = _named_inputs(inputs, sorted(self._types), self.path)
        # The interpreter's tensors are resized to each call's shape (batch size, padded length).
        outputs = self._runner(**{name: value.astype(self._types[name], copy=False) for name, value in feed.items()})
        return {name: np.asarray(value) for name, value in outputs.items()}


RUNNERS = {"onnx": OnnxNetwork, "litert": LiteRTNetwork}


def exported_network(folder: str | Path, name: str) -> OnnxNetwork | LiteRTNetwork | None:
    """The runner of ``folder/name.onnx`` or ``name.tflite`` (None when there is neither: a Keras folder)."""
    for fmt, suffix in EXPORT_SUFFIXES.items():
        path = Path(folder) / f"{name}{suffix}"
        if path.is_file():
            return RUNNERS[fmt](path)
    return None
