"""Transcript cleaning rules (in order) and encoding fallback; expected strings derived by hand."""

from __future__ import annotations

import pytest

from emotion_classifier.datasets.transcripts import clean_transcript, decode_transcript, read_transcript
from emotion_classifier.errors import InputError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # (1) dual spelling keeps the spelling side
        ("(10시)/(열시)에 보자", "10시에 보자"),
        # (2) overlap at turn start keeps the speaker's own words (after '+')
        ("(그래+응) 알았어", "응 알았어"),
        # (3) overlap at turn end keeps the words
        ("나 오늘 학교 갔다 왔는데 (응)", "나 오늘 학교 갔다 왔는데 응"),
        # (4) every ETRI tag, with and without a following space
        ("b/ l/ o/ O/ n/ N/ u/ c/ s/ 그래", "그래"),
        ("c/아 진짜", "아 진짜"),
        # (4) a tag letter after a Latin letter or digit is ordinary text ('/' is blanked later)
        ("ABCs/ 봤어", "ABCs 봤어"),
        ("TV/s/ 봤어", "TV 봤어"),
        # (5) '*' hard to hear and '+' repetition disappear without leaving a gap
        ("그+ 그게 뭐*야", "그 그게 뭐야"),
        # (6) digits survive (the old regex dropped them); punctuation becomes space
        ("c/ 아 진짜? b/ 그래서 112에 신고했어 (그래+응)", "아 진짜 그래서 112에 신고했어 응"),
        ("u/ N/ 음... 2020년에! OK?", "음 2020년에 OK"),
        # (6) compatibility jamo are Hangul and stay
        ("ㅋㅋ 진짜ㅠㅠ", "ㅋㅋ 진짜ㅠㅠ"),
        # (7) whitespace collapsed and stripped
        ("  \t 네 \n  ", "네"),
        ("", ""),
    ],
)
def test_clean_transcript(raw: str, expected: str) -> None:
    assert clean_transcript(raw) == expected


def test_rules_apply_in_order_dual_spelling_before_brackets() -> None:
    # had rule (3) run first, both sides would survive: "1시 한시에"
    assert clean_transcript("(1시)/(한시)에 오라고 했잖아 l/") == "1시에 오라고 했잖아"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_transcript_encodings(tmp_path, encoding: str) -> None:
    path = tmp_path / "t.txt"
    # 똠 exists in cp949 (UHC) but not in EUC-KR, so only the cp949 sample carries it
    text = "아 친구들도?" if encoding == "euc-kr" else "아 친구들도? 똠방각하"
    path.write_bytes((text + "\r\n").encode(encoding))
    assert read_transcript(path) == text


def test_undecodable_transcript_names_the_file(tmp_path) -> None:
    path = tmp_path / "Sess01_script01_M001.txt"
    path.write_bytes(b"\xff\xfe\xff")
    with pytest.raises(InputError, match="Sess01_script01_M001.txt"):
        read_transcript(path)


def test_decode_prefers_utf8() -> None:
    # these bytes are valid cp949 too (as different characters): utf-8 must win
    data = "좋아".encode()
    assert data.decode("cp949") != "좋아"
    assert decode_transcript(data, "x.txt") == "좋아"
