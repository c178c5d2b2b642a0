"""Tiny randomly initialised encoders, saved as model folders: the offline stand-ins for a hub model.

Nothing here is pretrained: the tests, the benchmark and an offline try of ``--speech-encoder`` /
``--text-encoder`` need a folder that loads through ``AutoModel`` exactly as a real wav2vec2, HuBERT,
WavLM, Whisper or BERT does, without a network. A few layers and 32 hidden units keep them at a
fraction of a second per segment on a CPU.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from emotion_classifier.features.encoder_models import require_extra

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
SPEECH_KINDS = ("wav2vec2", "hubert", "wavlm", "whisper")
"""The speech encoder families `tiny_speech_encoder` builds (the layouts `speech_ssl` must read alike)."""
WHISPER_SECONDS = 1
"""The tiny Whisper's input length (a real one reads 30 s): short, so a test wav can be longer than it."""


def _wav2vec2_family(kind: str, layers: int, hidden: int) -> tuple:
    """(model, config, feature extractor) of a wav2vec2-style model: the real front end (50 frames/s,
    400-sample receptive field), thin. wav2vec2 and WavLM take the large layout (layer norm, attention
    mask); HuBERT the base one (group norm, no attention mask), so both batching paths are exercised."""
    import transformers

    model, config = {"wav2vec2": ("Wav2Vec2Model", "Wav2Vec2Config"), "hubert": ("HubertModel", "HubertConfig"),
                     "wavlm": ("WavLMModel", "WavLMConfig")}[kind]  # fmt: skip
    large = kind != "hubert"
    settings = getattr(transformers, config)(
        hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2, intermediate_size=2 * hidden,
        conv_dim=(hidden,) * 7, conv_stride=(5, 2, 2, 2, 2, 2, 2), conv_kernel=(10, 3, 3, 3, 3, 2, 2),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
        feat_extract_norm="layer" if large else "group", do_stable_layer_norm=large,
    )  # fmt: skip
    extractor = transformers.Wav2Vec2FeatureExtractor(sampling_rate=16000, return_attention_mask=large)
    return getattr(transformers, model)(settings), extractor


def _whisper(layers: int, hidden: int) -> tuple:
    """(model, feature extractor) of a Whisper model whose input is `WHISPER_SECONDS` long (positions
    of its encoder = 50 per second, which the feature extractor's chunk length must match)."""
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    config = WhisperConfig(
        vocab_size=64, d_model=hidden, encoder_layers=layers, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=2 * hidden, decoder_ffn_dim=2 * hidden,
        max_source_positions=50 * WHISPER_SECONDS, max_target_positions=16, pad_token_id=0, bos_token_id=1,
        eos_token_id=2, decoder_start_token_id=1, suppress_tokens=[], begin_suppress_tokens=[],
    )  # fmt: skip
    return WhisperModel(config), WhisperFeatureExtractor(chunk_length=WHISPER_SECONDS)


def tiny_speech_encoder(folder: str | Path, *, kind: str = "wav2vec2", layers: int = 2, hidden: int = 32,
                        seed: int = 0) -> Path:  # fmt: skip
    """A speech model folder of family ``kind`` (one of `SPEECH_KINDS`) with its feature extractor."""
    require_extra()
    import torch

    if kind not in SPEECH_KINDS:
        raise ValueError(f"unknown speech encoder kind {kind!r} (one of {', '.join(SPEECH_KINDS)})")
    torch.manual_seed(seed)
    model, extractor = _whisper(layers, hidden) if kind == "whisper" else _wav2vec2_family(kind, layers, hidden)
    model.save_pretrained(folder)
    extractor.save_pretrained(folder)
    return Path(folder)


def tiny_text_encoder(folder: str | Path, texts: Iterable[str] = (), *, layers: int = 2, hidden: int = 32,
                      seed: int = 0, positions: int = 128) -> Path:  # fmt: skip
    """A BERT model folder whose WordPiece vocabulary is the characters of ``texts`` (as word starts and
    as ``##`` continuations), so Korean transcripts become real token ids rather than [UNK];
    ``positions`` is its longest input in tokens (small, to make a text longer than the model cheap)."""
    require_extra()
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    characters = sorted({c for text in texts for c in text if not c.isspace()})
    vocab = [*SPECIAL_TOKENS, *characters, *(f"##{c}" for c in characters)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=2 * hidden, max_position_embeddings=positions)  # fmt: skip
    BertModel(config).save_pretrained(folder)
    # from the folder, not BertTokenizerFast(vocab_file=...): transformers 5 ignores that argument and
    # would build a tokenizer of the special tokens only, reading every word as [UNK]
    BertTokenizerFast.from_pretrained(folder, do_lower_case=False).save_pretrained(folder)
    return folder
