"""Pretrained encoders (Hugging Face `transformers`): finding one, naming its exact revision, loading it.

torch and transformers are the optional extra ``[pretrained]``: they are imported inside these
functions only, so ``import emotion_classifier`` and every run without an encoder never load them.
Nothing is downloaded unless the user named a hub id; a local folder is read with
``local_files_only`` and never leaves the machine. The revision is what a cached vector and a saved
model are keyed by: a hub commit, or for a folder a hash of its config and weight files, so a model
refuses vectors (or a prediction refuses an encoder) that another set of weights made.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emotion_classifier.errors import InputError
from emotion_classifier.files import stable_hash

INSTALL = "pip install torch==2.13.0 && pip install -e '.[pretrained]'"
"""The install command an error names (the pinned torch is the CPU wheel; on a GPU install torch first)."""
HUB_FILES = ["*.json", "*.safetensors", "*.bin", "*.txt", "*.model", "*.vocab"]
"""What a hub download fetches: configs, weights, tokeniser files (no TF/Flax weights, no README media)."""
_WEIGHT_SUFFIXES = (".safetensors", ".bin")
_PROBE_BYTES = 1 << 20


@dataclass(frozen=True)
class EncoderRef:
    """One encoder as prepared: ``id`` as the user gave it (hub id or folder), the local ``folder``
    holding it, and its exact ``revision`` (hub commit, or ``local-<hash>`` of a folder)."""

    id: str
    folder: str
    revision: str

    @property
    def slug(self) -> str:
        """A file name for this encoder's artifact: readable id plus a short hash of id and revision."""
        readable = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(self.id).name or self.id)
        return f"{readable[-48:]}-{stable_hash([self.id, self.revision])[:10]}"


def require_extra() -> None:
    """Refuse at once, with the install command, when the optional packages are missing."""
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        missing = exc.name or "torch/transformers"
        raise InputError(f"pretrained encoders need torch and transformers ({missing} is missing): {INSTALL}") from None


def _file_probe(path: Path) -> list:
    """Name, size and a hash of the first and last MiB: cheap on a 1 GB weights file, unchanged by a
    copy to another machine (an mtime would change), and different after any re-save in practice."""
    size = path.stat().st_size
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        digest.update(fh.read(_PROBE_BYTES))
        if size > 2 * _PROBE_BYTES:
            fh.seek(size - _PROBE_BYTES)
            digest.update(fh.read(_PROBE_BYTES))
    return [path.name, size, digest.hexdigest()]


def folder_revision(folder: Path) -> str:
    """``local-<hash>`` of a model folder's config.json (whole) and weight files (probed)."""
    config = folder / "config.json"
    if not config.is_file():
        raise InputError("not a model folder (no config.json); save one with save_pretrained", folder)
    weights = sorted(p for p in folder.iterdir() if p.suffix in _WEIGHT_SUFFIXES)
    if not weights:
        raise InputError("model folder holds no weights (*.safetensors or *.bin)", folder)
    content = hashlib.sha256(config.read_bytes()).hexdigest()
    return "local-" + stable_hash([content, [_file_probe(p) for p in weights]])


def _looks_like_path(given: str) -> bool:
    return given.startswith((".", "/", "~")) or Path(given).expanduser().exists() or given.count("/") > 1


def _download(given: str) -> Path:
    """A hub model's snapshot folder (downloaded, or already in the local hub cache)."""
    require_extra()
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(given, allow_patterns=HUB_FILES))
    except Exception as exc:  # offline, a typo, a gated or private model: all end the same way
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"cannot download encoder {given!r} ({type(exc).__name__}: {reason[:160]}); without a network, a "
            f"gated model or a typo, download it where you can (`hf download {given} --local-dir DIR`) and "
            "give the folder DIR instead of the id"
        ) from None


@functools.cache
def resolve_encoder(given: str) -> EncoderRef:
    """The encoder a user named: a local folder as it is, a hub id through the hub (its commit is the
    revision). Checked once per process: prepare and prediction ask for the same encoder many times."""
    path = Path(given).expanduser()
    if path.is_dir():
        folder = path.resolve()
        return EncoderRef(given, str(folder), folder_revision(folder))
    if _looks_like_path(given):
        raise InputError("encoder folder not found (give an existing model folder or a hub id)", given)
    folder = _download(given)
    return EncoderRef(given, str(folder), folder.name)


@dataclass
class LoadedEncoder:
    """A model ready to run: the network (in eval mode, on its device), its feature extractor or
    tokeniser, the device and whether it runs in half precision."""

    model: Any
    processor: Any
    device: str
    half: bool


@functools.cache
def load_encoder(folder: str, processor: str) -> LoadedEncoder:
    """``AutoModel`` from a local folder (never a download), with its ``AutoFeatureExtractor`` or
    ``AutoTokenizer`` (``processor``: ``feature_extractor`` / ``tokenizer``); on CUDA in float16.
    An encoder-decoder (Whisper) contributes its encoder. Cached: one load per process."""
    require_extra()
    import torch
    import transformers

    transformers.utils.logging.disable_progress_bar()  # a weights bar per load would bury prepare's own bar
    loader = {"feature_extractor": transformers.AutoFeatureExtractor, "tokenizer": transformers.AutoTokenizer}
    try:
        model = transformers.AutoModel.from_pretrained(folder, local_files_only=True)
        found = loader[processor].from_pretrained(folder, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot load the encoder ({str(exc).splitlines()[0][:200]})", folder) from None
    if getattr(model.config, "is_encoder_decoder", False) and hasattr(model, "get_encoder"):
        model = model.get_encoder()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    half = device == "cuda"
    model = model.eval().to(device)
    if half:
        model = model.half()
    return LoadedEncoder(model, found, device, half)


def layer_shape(model: Any) -> tuple[int, int]:
    """(hidden layers + 1 for the embeddings, hidden size) of an encoder: the shape of its vectors."""
    config = model.config
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "encoder_layers", 0)
    hidden = getattr(config, "hidden_size", None) or getattr(config, "d_model", 0)
    return int(layers) + 1, int(hidden)


def hidden_states(encoder: LoadedEncoder, inputs: dict) -> Any:
    """Every layer's states for one batch, ``(batch, layers, steps, hidden)`` float32 on the CPU.

    No gradients (frozen), float16 inputs on CUDA; one batch at a time, so memory stays that of a batch.
    """
    import torch

    moved = {}
    for name, value in inputs.items():
        value = value.to(encoder.device)
        moved[name] = value.half() if encoder.half and value.is_floating_point() else value
    with torch.inference_mode():
        output = encoder.model(**moved, output_hidden_states=True)
    return torch.stack(output.hidden_states, dim=1).float().cpu()
