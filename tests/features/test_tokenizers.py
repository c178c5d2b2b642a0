import pytest

from emotion_classifier.errors import InputError
from emotion_classifier.features.tokenizers import (
    BUILTIN_STOPWORDS,
    konlpy_mecab,
    make_tokenizer,
    resolve_stopwords,
    tokenize,
)

SENTENCE = "아버지가 방에 들어가신다."
# Morphemes every Korean analyser must find in SENTENCE, in this order (noun, subject particle, noun,
# locative particle); the verb ending is analysed differently by each, so it is not compared.
HEAD = ["아버지", "가", "방", "에"]


def _okt_or_skip():
    try:
        return make_tokenizer("okt")
    except Exception as exc:  # JPype/JVM problems come in many types
        pytest.skip(f"Okt needs a working JVM: {exc}")


@pytest.mark.parametrize("name", ["mecab", "kiwi", "okt"])
def test_known_sentence_is_split_into_morphemes(name):
    if name == "okt":
        _okt_or_skip()
    tokens = tokenize([SENTENCE], name)[0]
    assert tokens[:4] == HEAD
    assert tokens[-1] == "."
    assert "들어가" in "".join(tokens[4:])


def test_mecab_analyses_the_verb_into_stem_and_ending():
    assert tokenize([SENTENCE], "mecab")[0][4:] == ["들어가", "신다", "."]


def test_konlpy_mecab_interface_agrees_with_mecab_python3(monkeypatch):
    monkeypatch.delenv("MECABRC", raising=False)
    assert konlpy_mecab()(SENTENCE) == make_tokenizer("mecab")(SENTENCE)


def test_empty_and_blank_texts_give_no_tokens():
    assert tokenize(["", "   "], "mecab") == [[], []]


def test_builtin_stopwords_drop_particles_only():
    tokens = tokenize([SENTENCE], "mecab", resolve_stopwords("builtin"))[0]
    assert "가" not in tokens and "에" not in tokens
    assert tokens[:2] == ["아버지", "방"]
    assert set(BUILTIN_STOPWORDS) >= {"가", "에", "는", "를"}


def test_stopword_file_ignores_comments_and_blank_lines(tmp_path):
    path = tmp_path / "stop.txt"
    path.write_text("# particles\n방\n\n  에 \n", encoding="utf-8")
    assert resolve_stopwords(str(path)) == ("방", "에")
    assert tokenize([SENTENCE], "mecab", resolve_stopwords(str(path)))[0][:2] == ["아버지", "가"]


def test_missing_stopword_file_names_the_file(tmp_path):
    with pytest.raises(InputError, match="nope.txt"):
        resolve_stopwords(str(tmp_path / "nope.txt"))


def test_no_stopwords_by_default():
    assert resolve_stopwords(None) == ()


def test_unknown_tokenizer_is_refused():
    with pytest.raises(ValueError, match="tokenizer"):
        make_tokenizer("spacy")
