"""Tiny randomly initialised encoders, saved as model folders: the offline stand-ins for a hub model.

Nothing here is pretrained: the tests, the benchmark and an offline try of ``--speech-encoder`` /
``--text-encoder`` need a folder that loads through ``AutoModel`` exactly as a real wav2vec2 or BERT
does, without a network. A few layers and 32 hidden units keep them at a fraction of a second per
segment on a CPU.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from emotion_classifier.features.encoder_models import require_extra

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def tiny_speech_encoder(folder: str | Path, *, layers: int = 2, hidden: int = 32, seed: int = 0) -> Path:
    """A wav2vec2 model folder: the real front end (50 frames/s, 400-sample receptive field) with layer norm
    and an attention mask (the XLS-R/large layout), but thin."""
    require_extra()
    import torch
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2Model

    torch.manual_seed(seed)
    config = Wav2Vec2Config(
        hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2, intermediate_size=2 * hidden,
        conv_dim=(hidden,) * 7, conv_stride=(5, 2, 2, 2, 2, 2, 2), conv_kernel=(10, 3, 3, 3, 3, 2, 2),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2, feat_extract_norm="layer", do_stable_layer_norm=True,
    )  # fmt: skip
    Wav2Vec2Model(config).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(sampling_rate=16000, return_attention_mask=True).save_pretrained(folder)
    return Path(folder)


def tiny_text_encoder(folder: str | Path, texts: Iterable[str] = (), *, layers: int = 2, hidden: int = 32,
                      seed: int = 0) -> Path:  # fmt: skip
    """A BERT model folder whose WordPiece vocabulary is the characters of ``texts`` (as word starts and
    as ``##`` continuations), so Korean transcripts become real token ids rather than [UNK]."""
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
                        intermediate_size=2 * hidden, max_position_embeddings=128)  # fmt: skip
    BertModel(config).save_pretrained(folder)
    BertTokenizerFast(vocab_file=str(folder / "vocab.txt"), do_lower_case=False).save_pretrained(folder)
    return folder
