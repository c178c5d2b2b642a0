"""Tiny KEMDy19 and KEMDy20 trees, typed out from the rows quoted in /work/shared/KEMDY_FORMAT.md.

Every quirk a test checks is planted here on purpose, with the expected reading written next to it,
so a test can say what it expects without running the reader first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

N_RATERS = 10


def rater_cells(votes: list[tuple[str, int]], valence: int, arousal: int) -> list[str]:
    """Ten raters' (Emotion, Valence, Arousal) cells; ``votes`` are (label as written, how many)."""
    labels = [label for label, n in votes for _ in range(n)]
    assert len(labels) == N_RATERS
    return [cell for label in labels for cell in (label, str(valence), str(arousal))]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(",".join(row) + "\n" for row in rows), encoding=encoding)
    return path


def touch_wav(path: Path) -> None:
    """The readers only locate wav files; the bytes are never decoded here."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF")


# --------------------------------------------------------------------------------------------- KEMDy19


@dataclass(frozen=True)
class Seg19:
    """One KEMDy19 segment as both actors' files write it."""

    segment_id: str
    start: float
    end: float
    label_f: str  # Total Evaluation in the F file
    label_m: str  # ... and in the M file
    valence: float
    arousal: float
    votes: tuple[tuple[str, int], ...]
    bio: tuple[str, ...] = ("-0.03253542", "0.05061065", "4.408951", "4.651463", "34.66", "34.59")


# Session 01: the two real rows of the spec, a tie, the typo, and an improvised dialogue.
SEGMENTS19_S1 = [
    Seg19("Sess01_script01_M001", 7.152, 15.476, "surprise", "surprise", 1.7, 4.0, (("surprise", 10),)),
    Seg19(
        "Sess01_script01_M002", 19.786, 26.493, "fear", "angry", 1.3, 4.3, (("angry", 7), ("fear", 3)),
        ("-0.4735711", "-0.2928188", "4.478828", "4.746299", "34.61", "34.55"),
    ),
    # tie as written "happy;neutral"; raters favour neutral (vote -> neutral, first -> happy)
    Seg19("Sess01_script01_F001", 27.0, 30.5, "happy;neutral", "happy;neutral", 3.6, 2.2,
          (("neutral", 4), ("happy", 3), ("sad", 3))),
    # the typo in the total and in a rater cell; a blank EDA start cell
    Seg19("Sess01_script01_F002", 31.0, 33.0, "disqust", "disqust", 2.1, 3.4, (("disqust", 6), ("disgust", 4)),
          ("0.01", "0.02", "", "4.7", "34.5", "34.4")),
    # three-way tie written in non-sorted order; a rater vote tie -> vote falls back to the first
    Seg19("Sess01_impro01_F001", 2.0, 6.0, "sad;fear;neutral", "sad", 2.5, 2.8,
          (("sad", 3), ("fear", 3), ("neutral", 3), ("happy", 1))),
    Seg19("Sess01_impro01_M001", 6.5, 9.0, "neutral", "neutral", 3.0, 2.0, (("neutral", 10),)),
]
SEGMENTS19_S2 = [
    Seg19("Sess02_script01_F001", 1.0, 4.0, "angry", "angry", 1.8, 3.8, (("angry", 10),)),
    Seg19("Sess02_script01_M001", 4.5, 8.0, "happy", "happy", 4.3, 3.9, (("happy", 10),)),
]
RATER_NAMES = {1: [f"Eval{n:02d}{'FM'[n % 2]}" for n in range(1, 11)],
               2: [f"Eval{n:02d}{'FM'[n % 2]}" for n in range(11, 21)]}  # two rater groups
TRANSCRIPTS19 = {
    "Sess01_script01_M001": "c/ 아 진짜? b/ 그래서 112에 신고했어 (그래+응)",
    "Sess01_script01_M002": "(1시)/(한시)에 오라고 했잖아 l/",
    "Sess01_script01_F001": "",  # empty transcript
    "Sess01_script01_F002": "o/ 그+ 그게 뭐*야 (응)",
    "Sess01_impro01_F001": "나 오늘 학교 갔다 왔어",
    "Sess02_script01_F001": "왜 그랬어",
    "Sess02_script01_M001": "좋아",
}
MISSING_MEDIA19 = "Sess01_impro01_M001"  # no wav, no txt (only a converted/ decoy)


def header19(session: int) -> list[list[str]]:
    """Two header rows; blank cells of row 1 are empty (pandas would call them ``Unnamed: N``)."""
    row1 = ["Numb", "Wav", "", "ECG", "", "E4-EDA", "", "E4-TEMP", "", "Segment ID", "Total Evaluation", "", ""]
    row2 = ["", "start", "end", "start", "end", "start", "end", "start", "end", "", "Emotion", "Valence", "Arousal"]
    for name in RATER_NAMES[session]:
        row1 += [name, "", ""]
        row2 += ["Emotion", "Valence", "Arousal"]
    return [row1, row2]


def row19(numb: int, seg: Seg19, gender: str) -> list[str]:
    label = seg.label_f if gender == "F" else seg.label_m
    return [f"{numb}.0", str(seg.start), str(seg.end), *seg.bio, seg.segment_id, label, str(seg.valence),
            str(seg.arousal), *rater_cells(list(seg.votes), round(seg.valence), round(seg.arousal))]


def write_kemdy19_annotation(root: Path, session: int, gender: str, segments: list[Seg19]) -> Path:
    rows = header19(session) + [row19(i + 1, seg, gender) for i, seg in enumerate(segments)]
    return write_csv(root / "annotation" / f"Session{session:02d}_{gender}_res.csv", rows)


def write_kemdy19_media(root: Path, segment_id: str, text: str | None) -> None:
    session, dialogue = segment_id[4:6], "_".join(segment_id.split("_")[:2])
    folder = root / "wav" / f"Session{session}" / dialogue
    touch_wav(folder / f"{segment_id}.wav")
    if text is not None:
        (folder / f"{segment_id}.txt").write_text(text + "\n", encoding="utf-8")


# Sess01F EDA: 3- and 4-field lines, the owner's body while M speaks, two malformed lines (5 and 6).
EDA19_F = """0.141,10.00,16:50:49.000
0.142,10.25,16:50:49.250,Sess01_script01_F001
0.143,10.50,16:50:49.500,Sess01_script01_F001
0.150,10.75,16:50:49.750,Sess01_script01_M001
bad,11.00,16:50:50.000,Sess01_script01_F002
0.151,11.25
0.152,11.50,16:50:50.500,Sess01_script01_F002
"""
TEMP19_F = """34.61,10.00,16:50:49.000,Sess01_script01_F001
34.62,10.25,16:50:49.250
"""
# Sess01M EDA: only M001 covered (and F001 from M's body, which must not count for F's segment).
EDA19_M = """4.40,10.00,16:50:49.000,Sess01_script01_M001
4.41,10.25,16:50:49.250,Sess01_script01_M001
4.42,10.50,16:50:49.500,Sess01_script01_F001
"""
# Sess01F ECG: field 1 rises (time), field 2 oscillates (the trace).
ECG19_F = "".join(
    f"{100 + i * 0.004:.3f},{v},16:50:49.{i:03d}" + (",Sess01_script01_F001\n" if i >= 4 else "\n")
    for i, v in enumerate([512, 530, 498, 640, 505, 520, 480, 700])
)
# Sess01M ECG: both numeric fields rise -> no signal column.
ECG19_M = "".join(
    f"{100 + i * 0.004:.3f},{i * 4},16:50:49.{i:03d},Sess01_script01_M001\n" for i in range(8)
)


def build_kemdy19(root: Path) -> Path:
    for gender in "FM":
        write_kemdy19_annotation(root, 1, gender, SEGMENTS19_S1)
        write_kemdy19_annotation(root, 2, gender, SEGMENTS19_S2)
    for seg in SEGMENTS19_S1 + SEGMENTS19_S2:
        if seg.segment_id != MISSING_MEDIA19:
            write_kemdy19_media(root, seg.segment_id, TRANSCRIPTS19[seg.segment_id])
    # converted/ decoys: a stale copy of an existing segment and the only copy of the missing one
    for sid in ("Sess01_script01_M001", MISSING_MEDIA19):
        dialogue = "_".join(sid.split("_")[:2])
        touch_wav(root / "wav" / "Session01" / dialogue / "converted" / f"{sid}.wav")
        (root / "wav" / "Session01" / dialogue / "converted" / f"{sid}.txt").write_text("decoy", encoding="utf-8")
    bio = {("EDA", "F"): EDA19_F, ("TEMP", "F"): TEMP19_F, ("EDA", "M"): EDA19_M,
           ("ECG", "F"): ECG19_F, ("ECG", "M"): ECG19_M}
    for (signal, gender), text in bio.items():
        path = root / signal / "Session01" / "Original" / f"Sess01{gender}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="ascii")
    return root


# --------------------------------------------------------------------------------------------- KEMDy20


@dataclass(frozen=True)
class Seg20:
    segment_id: str  # as written in the annotation file
    label: str
    valence: float
    arousal: float
    votes: tuple[tuple[str, int], ...]


SEGMENTS20 = {
    1: [
        Seg20("Sess01_script01_User001F_001", "neutral", 3.0, 3.1, (("neutral", 10),)),
        Seg20("Sess01_script01_User002M_001", "disqust", 2.2, 3.3, (("disgust", 6), ("neutral", 4))),
        Seg20("Sess01_script01_User001F_002", "neutral;sad", 2.8, 2.6, (("sad", 5), ("neutral", 5))),
    ],
    17: [  # Sess17_eval.csv writes its ids as Sess42
        Seg20("Sess42_script01_User033F_001", "happy", 4.2, 3.7, (("happy", 10),)),
        Seg20("Sess42_script01_User034M_001", "neutral", 3.0, 2.9, (("neutral", 10),)),
    ],
}
TRANSCRIPTS20 = {  # canonical id -> (text, encoding, file stem); None: no txt file
    "Sess01_script01_User001F_001": ("아 친구들도? b/", "cp949", "Sess01_script01_User001F_001"),
    "Sess01_script01_User002M_001": None,
    "Sess01_script01_User001F_002": ("그래 (그치+응)", "utf-8", "Sess01_script01_User001F_002"),
    "Sess17_script01_User033F_001": ("좋다", "euc-kr", "Sess17_script01_User033F_001"),
    "Sess17_script01_User034M_001": ("응", "cp949", "Sess42_script01_User034M_001"),  # file under the raw id
}
# E4 export: start unix time, sampling rate, then value, timestamp[, segment id]; line 6 is malformed
EDA20 = """1600000000.000000
4.000000
0.50,2020-09-13 12:26:40.000
0.51,2020-09-13 12:26:40.250,Sess01_script01_User001F_001
0.52,2020-09-13 12:26:40.500,Sess01_script01_User001F_001
x,2020-09-13 12:26:40.750,Sess01_script01_User001F_001
0.54,2020-09-13 12:26:41.000,Sess01_script01_User001F_002
"""
TEMP20 = """1600000000.000000
4.000000
33.50,2020-09-13 12:26:40.000,Sess01_script01_User001F_001
"""
# IBI: start unix time, "IBI"; then offset_s, ibi_s, timestamp[, segment id]
IBI20 = """1600000000.000000, IBI
1.250000,0.812500,2020-09-13 12:26:41.250,Sess01_script01_User001F_001
2.062500,0.812500,2020-09-13 12:26:42.062
2.900000,0.837500,2020-09-13 12:26:42.900,Sess01_script01_User001F_002
"""


def header20() -> list[list[str]]:
    """Blank header cells hold a space, as in the real files (pandas names them ' .1', ' .2')."""
    row1 = ["Numb", "Wav", " ", "Segment ID", "Total Evaluation", " ", " "]
    row2 = [" ", "start", "end", " ", "Emotion", "Valence", "Arousal"]
    for n in range(1, N_RATERS + 1):
        row1 += [f"Eval{n:02d}", " ", " "]
        row2 += ["Emotion", "Valence", "Arousal"]
    return [row1, row2]


def row20(numb: int, seg: Seg20) -> list[str]:
    return [str(numb), f"{numb * 3.5:.3f}", f"{numb * 3.5 + 2:.3f}", seg.segment_id, seg.label, str(seg.valence),
            str(seg.arousal), *rater_cells(list(seg.votes), round(seg.valence), round(seg.arousal))]


def build_kemdy20(root: Path) -> Path:
    for session, segments in SEGMENTS20.items():
        rows = header20() + [row20(i + 1, seg) for i, seg in enumerate(segments)]
        write_csv(root / "annotation" / f"Sess{session:02d}_eval.csv", rows)
    for sid, transcript in TRANSCRIPTS20.items():
        folder = root / "wav" / f"Session{sid[4:6]}"
        stem = transcript[2] if transcript else sid
        touch_wav(folder / f"{stem}.wav")
        if transcript:
            (folder / f"{stem}.txt").write_bytes(transcript[0].encode(transcript[1]))
    for signal, text in (("EDA", EDA20), ("TEMP", TEMP20), ("IBI", IBI20)):
        path = root / signal / "Session01" / "Sess01_script01_User001F.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="ascii")
    return root
