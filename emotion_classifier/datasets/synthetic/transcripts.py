"""Korean sentences with emotion cues, written the way ETRI transcribers write them.

A sentence is built clean first (only Hangul, digits, Latin letters and single spaces) and then
decorated with ETRI notation, so the clean sentence is exactly what the cleaning rules must recover:
(1) ``(A)/(B)`` -> ``A``; (2) ``(X+Y)`` -> ``Y``; (3) ``(X)`` -> ``X``; (4) tags ``[bloOnNucs]/`` not
after a Latin letter or digit are removed; (5) ``*`` and ``+`` are removed; (6) anything else that is
not Hangul, a digit, a Latin letter or a space becomes a space; (7) whitespace is collapsed.

About a third of the sentences carry no cue or a misleading one, so that text alone stays far from
perfect and the other modalities have something to add.
"""

from __future__ import annotations

import re

import numpy as np

from emotion_classifier.labels import EMOTIONS

CUES: dict[str, tuple[str, ...]] = {
    "angry": (
        "진짜 짜증 나", "화가 나", "왜 그래", "정말 열받네", "그만 좀 해", "어이가 없어", "너 때문에 망했어",
        "참을 수가 없어", "미치겠네", "뭐 하는 거야", "당장 나가", "소리 지르지 마", "내가 몇 번 말했어",
    ),
    "disgust": (
        "더러워", "역겨워", "징그러워", "토할 것 같아", "냄새 나", "끔찍해", "지저분해", "비위 상해",
        "구역질 나", "치워 줘", "보기 싫어", "으 싫어",
    ),
    "fear": (
        "무서워", "겁나", "어떡해", "살려 줘", "떨려", "불안해", "도망가자", "누가 있어", "소름 돋아",
        "위험해", "숨어", "혼자 있기 싫어",
    ),
    "happy": (
        "너무 좋아", "신난다", "고마워", "행복해", "재밌다", "최고야", "잘됐다", "기분 좋아", "축하해",
        "사랑해", "맛있다", "ㅋㅋ 웃기다", "같이 가자",
    ),
    "neutral": (
        "알겠어", "그렇구나", "내일 보자", "밥 먹었어", "회의가 있어", "지금 가고 있어", "몇 시야",
        "그래서 어떻게 됐어", "학교에 가", "버스 타고 와", "전화할게", "정리해 보자", "맞아", "이따 얘기해",
        "그냥 그래",
    ),
    "sad": (
        "슬퍼", "보고 싶어", "눈물이 나", "힘들어", "외로워", "미안해", "우울해", "속상해", "떠나지 마",
        "그리워", "마음이 아파", "포기할래", "혼자 남았어",
    ),
    "surprise": (
        "깜짝이야", "진짜야", "세상에", "어머", "설마", "대박", "정말이야", "헐", "웬일이야", "놀랐잖아",
        "어떻게 이런 일이", "갑자기 왜",
    ),
}
"""Phrases whose words point at one emotion (a text model should learn them)."""
OPENERS = ("아", "야", "근데", "그래서", "진짜", "음", "저기", "아니", "그러니까", "자")
TOPICS = (
    "오늘", "어제", "회사에서", "집에", "친구가", "엄마가", "그 사람", "이번 주말에", "SNS에", "OK", "112에",
    "3시에", "TV", "PC방에서", "KTX", "10분만", "우리 같이",
)
TAILS = ("있잖아", "그치", "알지", "말이야", "했어", "있어", "없어", "먹어", "알았어")
DUAL_SPELLINGS: dict[str, str] = {
    "같이": "가치", "좋아": "조아", "싫어": "시러", "없어": "업써", "맞아": "마자", "먹어": "머거",
    "했어": "해써", "있어": "이써", "알았어": "아라써", "112에": "일일이에", "3시에": "세 시에",
    "10분만": "십 분만",
}
"""Spelling -> pronunciation, written ``(spelling)/(pronunciation)`` by the transcribers."""
PARTNER_WORDS = ("응", "어", "그래", "아니", "네", "잠깐")
TAGS = ("b/", "l/", "o/", "n/", "N/", "u/", "c/", "s/")
OPENER_SHARE, TOPIC_SHARE, TAIL_SHARE = 0.5, 0.6, 0.35
"""How often each optional part appears: enough variety that new lines rarely repeat by chance."""
CUE_SHARE = 0.65
NEUTRAL_SHARE = 0.20
"""The rest (15%) carries a cue of another emotion."""
_CLEAN = re.compile(r"[가-힣ㄱ-ㅎㅏ-ㅣ0-9A-Za-z]+( [가-힣ㄱ-ㅎㅏ-ㅣ0-9A-Za-z]+)*")


def clean_sentence(cue_emotion: str, rng: np.random.Generator) -> str:
    """One clean sentence: optional opener and topic, a cue phrase, an optional tail."""
    mode = rng.random()
    if mode < CUE_SHARE:
        source = cue_emotion
    elif mode < CUE_SHARE + NEUTRAL_SHARE:
        source = "neutral"
    else:
        source = str(rng.choice([e for e in EMOTIONS if e != cue_emotion]))
    parts = []
    if rng.random() < OPENER_SHARE:
        parts.append(str(rng.choice(OPENERS)))
    if rng.random() < TOPIC_SHARE:
        parts.append(str(rng.choice(TOPICS)))
    parts.append(str(rng.choice(CUES[source])))
    if rng.random() < TAIL_SHARE:
        parts.append(str(rng.choice(TAILS)))
    sentence = " ".join(parts)
    if not _CLEAN.fullmatch(sentence):  # a word bank edit must not break the cleaning contract
        raise AssertionError(f"word bank produced a sentence that is not clean: {sentence!r}")
    return sentence


def decorate(clean: str, rng: np.random.Generator) -> str:
    """Write ``clean`` with ETRI notation that the seven cleaning rules remove again.

    Each word gets at most one bracket construct; tags always start a word (after a space or at the
    start), never after a Latin letter or digit, where rule (4) would keep them.
    """
    words = clean.split(" ")
    tokens = list(words)
    free = list(range(len(words)))
    for i, word in enumerate(words):
        if word in DUAL_SPELLINGS and rng.random() < 0.6:
            tokens[i] = f"({word})/({DUAL_SPELLINGS[word]})"
            free.remove(i)
    if len(words) >= 2 and 0 in free and rng.random() < 0.12:
        tokens[0] = f"({rng.choice(PARTNER_WORDS)}+{words[0]})"
        free.remove(0)
    if len(words) >= 2 and len(words) - 1 in free and rng.random() < 0.12:
        tokens[-1] = f"({words[-1]})"
        free.remove(len(words) - 1)
    for i in free:
        draw = rng.random()
        if draw < 0.06:
            tokens[i] += "+"
        elif draw < 0.12:
            tokens[i] = "*" + tokens[i]
        if rng.random() < 0.12:
            tag = str(rng.choice(TAGS))
            tokens[i] = tag + tokens[i] if rng.random() < 0.5 else f"{tag} {tokens[i]}"
    for i in range(len(tokens) - 1):
        if rng.random() < 0.08:
            tokens[i] += ","
    if rng.random() < 0.5:
        tokens[-1] += str(rng.choice([".", "?", "!", "...", "~"]))
    if rng.random() < 0.08:
        tokens.append(str(rng.choice(TAGS)))
    return " ".join(tokens)
