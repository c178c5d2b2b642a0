"""The fault battery (issue 13, item 5): each fault injected into a copy of one tiny generated KEMDy20
corpus, `emotion prepare` run on it, and three things asserted:

- the exit status (0: skipped and listed; 2: refused),
- the one line that names the file (and line): a summary line on stdout, or the only stderr line,
- every segment the fault does not touch has the artifacts of the clean run (equal strings for the CSV
  rows, equal arrays for the audio frames); a refused run leaves a previous artifacts folder byte for byte.

One clean `prepare` for the module (the corpus's planted empty transcript filled in, so that ``--strict``
passes on it); each case prepares its own copy from scratch with ``--jobs 1``.
"""

from __future__ import annotations

import errno
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from emotion_classifier import files
from emotion_classifier.cli import main
from emotion_classifier.datasets import bio_files_for
from emotion_classifier.features import load_artifacts

STAGE_ORDER = ("text", "audio", "bio")
PATH_COLUMNS = ("wav_path", "txt_path")
"""segments.csv columns that hold the corpus copy's own absolute paths."""


@dataclass(frozen=True)
class Clean:
    root: Path
    out: Path
    target: pd.Series
    """The segment the per-segment faults hit: it has text, audio and bio in the clean run."""


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Clean:
    from emotion_classifier.datasets.synthetic import generate_corpus

    base = tmp_path_factory.mktemp("battery")
    root = generate_corpus(base / "corpus", corpus="kemdy20", sessions=1, seed=1).root
    for txt in (root / "wav").rglob("*.txt"):  # the planted empty transcript would stop every --strict run
        if not txt.read_bytes().strip():
            txt.write_text("안녕하세요\n", encoding="utf-8")
    arguments = ["prepare", "--data", str(root), "--out", str(base / "clean"), "--jobs", "1", "--quiet", "--strict"]
    assert main(arguments) == 0
    table = load_artifacts(base / "clean").table
    usable = table[table["has_text"] & table["has_audio"] & table["has_bio"]]
    target = usable.iloc[len(usable) // 2].copy()
    for column in ("wav_path", "txt_path"):  # where the file lies in any copy of the corpus
        target[column.replace("path", "relative")] = Path(target[column]).relative_to(Path(root).resolve())
    return Clean(root, base / "clean", target)


# -- faults ----------------------------------------------------------------------------------------------
def _tone(path: Path, seconds: float, rate: int = 16000, channels: int = 1, subtype: str = "PCM_16",
          nan: bool = False) -> None:  # fmt: skip
    t = np.arange(int(seconds * rate)) / rate
    data = np.stack([0.3 * np.sin(2 * np.pi * 220 * t)] * channels, axis=1)
    if nan:
        data[len(data) // 2] = np.nan
    sf.write(path, data, rate, subtype=subtype)


def _edit_lines(path: Path, edit: Callable[[list[str]], list[str]]) -> None:
    path.write_text("\n".join(edit(path.read_text(encoding="utf-8").splitlines())) + "\n", encoding="utf-8")


def _replace_field(line: str, index: int, value: str) -> str:
    fields = line.split(",")
    fields[index] = value
    return ",".join(fields)


@dataclass(frozen=True)
class Fault:
    """``inject(root, target) -> (place, affected)``: the file[:line] the message must name and the
    artifacts it may change ({"text", "audio", "bio"} of the target segment; "bio" of its speaker)."""

    name: str
    inject: Callable[[Path, pd.Series], tuple[str, set[str]]]
    says: str
    code: int = 0
    strict_code: int = 2


def _wav(root: Path, target: pd.Series) -> Path:
    return root / target["wav_relative"]


def _txt(root: Path, target: pd.Series) -> Path:
    return root / target["txt_relative"]


def _bio(root: Path, target: pd.Series, signal: str) -> Path:
    return bio_files_for(target, root)[signal]


def _wav_fault(write: Callable[[Path], None], affected: set[str] = frozenset({"audio"})):
    def inject(root: Path, target: pd.Series) -> tuple[str, set[str]]:
        wav = _wav(root, target)
        write(wav)
        return str(wav), set(affected)

    return inject


def _txt_fault(write: Callable[[Path], None]):
    def inject(root: Path, target: pd.Series) -> tuple[str, set[str]]:
        txt = _txt(root, target)
        write(txt)
        return str(txt), {"text"}

    return inject


def _bio_fault(signal: str, edit: Callable[[list[str]], list[str]], line: int | None):
    def inject(root: Path, target: pd.Series) -> tuple[str, set[str]]:
        path = _bio(root, target, signal)
        _edit_lines(path, edit) if edit is not None else path.write_text("", encoding="utf-8")
        return (f"{path}:{line}" if line else str(path)), {"bio"}

    return inject


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _swap_encoding(path: Path) -> None:
    """UTF-8 <-> cp949 (KEMDy20 v1.1 ships cp949, KEMDy19 UTF-8): one transcript in the other encoding."""
    data = path.read_bytes()
    try:
        path.write_bytes(data.decode("utf-8").encode("cp949"))
    except UnicodeDecodeError:
        path.write_bytes(data.decode("cp949").encode("utf-8"))


CORPUS_FAULTS = [
    Fault("wav empty", _wav_fault(lambda p: p.write_bytes(b"")), "cannot decode wav"),
    Fault("wav header only", _wav_fault(lambda p: p.write_bytes(p.read_bytes()[:44])), "wav has no samples"),
    Fault("wav cut mid-data", _wav_fault(_truncate), "wav cut mid-data", strict_code=0),
    Fault("not a wav", _wav_fault(lambda p: p.write_text("ID3 mp3?", encoding="utf-8")), "cannot decode wav"),
    Fault("stereo wav", _wav_fault(lambda p: _tone(p, 2.0, channels=2)), "", strict_code=0),
    Fault("8 kHz wav", _wav_fault(lambda p: _tone(p, 2.0, rate=8000)), "", strict_code=0),
    Fault("44.1 kHz wav", _wav_fault(lambda p: _tone(p, 2.0, rate=44100)), "", strict_code=0),
    Fault("NaN wav", _wav_fault(lambda p: _tone(p, 2.0, subtype="FLOAT", nan=True)), "non-finite samples"),
    Fault("very short wav", _wav_fault(lambda p: _tone(p, 0.001)), "wav too short"),
    Fault("very long wav", _wav_fault(lambda p: _tone(p, 90.0, rate=8000)), "far longer than its annotated segment",
          strict_code=0),
    Fault("transcript missing", lambda r, t: (_txt(r, t).unlink(), (f"{t['rater_file']}:{t['line']}", {"text"}))[1],
          "transcript file missing"),
    Fault("transcript empty", _txt_fault(lambda p: p.write_bytes(b"")), "transcript"),
    Fault("transcript UTF-8/cp949 swapped", _txt_fault(_swap_encoding), "", strict_code=0),
    Fault("transcript binary", _txt_fault(lambda p: p.write_bytes(bytes(range(256)) * 4)), "undecodable transcript"),
    Fault("transcript NUL bytes", _txt_fault(lambda p: p.write_bytes(b"\0" * 64)), "binary data"),
    Fault("transcript huge", _txt_fault(lambda p: p.write_bytes("안녕 ".encode() * 40_000)), "oversized transcript"),
    Fault("bio non-numeric", _bio_fault("EDA", lambda lines: [*lines[:5], "abc,1560090210.0", *lines[5:]], 6),
          "is not a number"),
    Fault("bio empty", _bio_fault("EDA", None, 1), "empty file: no samples"),
    Fault("bio bad E4 header", _bio_fault("TEMP", lambda lines: ["hello", *lines[1:]], 1), "E4 header"),
    Fault("bio bad E4 rate", _bio_fault("TEMP", lambda lines: [lines[0], "fast", *lines[2:]], 2), "sampling rate"),
    Fault("bio out of range", _bio_fault("IBI", lambda lines: [*lines[:3], _replace_field(lines[3], 1, "9.0"),
                                                               *lines[4:]], 4), "implausible IBI"),  # fmt: skip
]


def _annotation_fault(edit: Callable[[str], str], line: Callable[[int], int | None]):
    def inject(root: Path, target: pd.Series) -> tuple[str, set[str]]:
        path = root / "annotation" / target["rater_file"]
        n_lines = len(path.read_text(encoding="utf-8").splitlines())
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
        where = line(n_lines)
        return (f"{path}:{where}" if where else str(path)), set()

    return inject


def _data_line(edit: Callable[[str], str], index: int = 3) -> Callable[[str], str]:
    def apply(text: str) -> str:
        lines = text.splitlines()
        lines[index] = edit(lines[index])
        return "\n".join(lines) + "\n"

    return apply


ANNOTATION_FAULTS = [
    Fault("annotation truncated line", _annotation_fault(lambda s: s[: s.rstrip().rindex(",") - 3], lambda n: n),
          "fields, expected", code=2),
    Fault("annotation too few columns", _annotation_fault(_data_line(lambda s: ",".join(s.split(",")[:5])),
                                                          lambda n: 4), "5 fields, expected", code=2),  # fmt: skip
    Fault("annotation unknown label", _annotation_fault(_data_line(lambda s: _replace_field(s, 4, "bored")),
                                                        lambda n: 4), "unknown emotion label 'bored'", code=2),
    Fault("annotation non-numeric valence", _annotation_fault(_data_line(lambda s: _replace_field(s, 5, "high")),
                                                              lambda n: 4), "valence 'high' is not a number", code=2),
    Fault("annotation missing headers", _annotation_fault(lambda s: "\n".join(s.splitlines()[2:]) + "\n",
                                                          lambda n: None), "header", code=2),  # fmt: skip
    Fault("annotation empty", _annotation_fault(lambda s: "", lambda n: 1), "expected two header rows", code=2),
    Fault("annotation duplicated id", _annotation_fault(lambda s: s + s.splitlines()[3] + "\n", lambda n: n + 1),
          "identical duplicate", strict_code=2),
]
@pytest.fixture
def corpus(clean, tmp_path) -> Path:
    return Path(shutil.copytree(clean.root, tmp_path / "corpus"))


def _prepare(corpus: Path, out: Path, capsys, *extra: str) -> tuple[int, str, list[str]]:
    code = main(["prepare", "--data", str(corpus), "--out", str(out), "--jobs", "1", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def _rows(frame: pd.DataFrame, ids) -> pd.DataFrame:
    return frame.set_index("segment_id").loc[list(ids)]


def assert_untouched(clean_out: Path, out: Path, target: pd.Series, affected: set[str]) -> None:
    """Every artifact row the fault may not change equals the clean run's (the path columns aside)."""
    before, after = load_artifacts(clean_out), load_artifacts(out)
    ids = before.table["segment_id"]
    assert after.table["segment_id"].tolist() == ids.tolist()
    others = ids[ids.ne(target["segment_id"])]
    strings = {"segments": lambda a: a.table.drop(columns=[*PATH_COLUMNS, "has_text", "has_audio", "has_bio"]),
               "text": lambda a: pd.DataFrame({"segment_id": a.table["segment_id"],
                                               "tokens": [" ".join(t) for t in a.tokens]})}  # fmt: skip
    for name, frame_of in strings.items():  # the target's segments row holds its transcript and has_* flags
        keep = others if name in affected or name == "segments" else ids
        pd.testing.assert_frame_equal(_rows(frame_of(after), keep).astype(str),
                                      _rows(frame_of(before), keep).astype(str))
    for i, sid in enumerate(ids):
        if "audio" in affected and sid == target["segment_id"]:
            continue
        np.testing.assert_array_equal(after.audio[i], before.audio[i], err_msg=sid)
    speaker = before.table["person"].eq(target["person"]) & before.table["session"].eq(target["session"])
    bio_keep = ids[~speaker] if "bio" in affected else ids  # a speaker's *_pnorm use all their session's files
    pd.testing.assert_frame_equal(_rows(after.bio, bio_keep), _rows(before.bio, bio_keep))


def _the_line(printed: str, place: str, says: str) -> str:
    found = [line for line in printed.splitlines() if place in line and says in line]
    assert found, f"no line names {place!r} with {says!r}:\n{printed}"
    return found[0]


@pytest.mark.parametrize("fault", CORPUS_FAULTS, ids=lambda f: f.name)
def test_a_fault_is_listed_and_touches_nothing_else(clean, corpus, tmp_path, capsys, fault):
    place, affected = fault.inject(corpus, clean.target)
    code, printed, err = _prepare(corpus, tmp_path / "out", capsys)
    assert code == fault.code, err
    if fault.says:  # conversions (sample rate, channels) and an other encoding are not problems
        _the_line(printed, place, fault.says)
    assert_untouched(clean.out, tmp_path / "out", clean.target, affected)
    code, _, err = _prepare(corpus, tmp_path / "strict", capsys, "--strict", "--quiet")
    assert code == fault.strict_code, err
    if fault.strict_code:
        assert len(err) == 1 and err[0].startswith("error: ") and place in err[0], err
        later = {"text": ("audio", "bio"), "audio": ("bio",), "bio": ()}[min(affected, key=STAGE_ORDER.index)]
        assert not [stage for stage in later if (tmp_path / "strict" / ".cache" / stage).exists()]  # never started


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _previous_artifacts(clean: Clean, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    out = Path(shutil.copytree(clean.out, tmp_path / "previous"))
    return out, _snapshot(out)


@pytest.mark.parametrize("fault", ANNOTATION_FAULTS, ids=lambda f: f.name)
def test_an_annotation_fault_is_one_line_and_keeps_previous_artifacts(clean, corpus, tmp_path, capsys, fault):
    place, _ = fault.inject(corpus, clean.target)
    out, before = _previous_artifacts(clean, tmp_path)
    code, printed, err = _prepare(corpus, out, capsys)
    assert code == fault.code, err
    if fault.code:
        assert len(err) == 1 and err[0].startswith("error: ") and place in err[0] and fault.says in err[0], err
        assert _snapshot(out) == before
    else:
        _the_line(printed, place, fault.says)
        assert_untouched(clean.out, out, clean.target, set())
        code, _, err = _prepare(corpus, tmp_path / "strict", capsys, "--strict", "--quiet")
        assert code == 2 and len(err) == 1 and place in err[0], err


def test_a_missing_annotation_file_is_one_line(clean, corpus, tmp_path, capsys):
    (corpus / "annotation" / clean.target["rater_file"]).unlink()
    out, before = _previous_artifacts(clean, tmp_path)
    code, _, err = _prepare(corpus, out, capsys)
    assert code == 2 and len(err) == 1 and str(corpus / "annotation") in err[0], err
    assert _snapshot(out) == before


# -- a disk that fills up mid-write ----------------------------------------------------------------------
class _FillsUp:
    """A file whose writes fail with ENOSPC once ``room`` bytes are written (part of the failing write lands)."""

    def __init__(self, handle, room: int):
        self._handle, self._room = handle, room

    def write(self, data):
        if len(data) > self._room:
            self._handle.write(data[: self._room])
            self._room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._room -= len(data)
        return self._handle.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._handle, name)


def _no_temporary_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if p.is_file() and p.suffix in (".tmp", ".staged")]


@pytest.mark.parametrize("fills_at", ["audio_features.npz", "bio_features.csv", "manifest.json", ".cache"])
def test_a_full_disk_keeps_the_previous_artifacts(clean, corpus, tmp_path, capsys, monkeypatch, fills_at):
    """The atomic writer's writes raise ENOSPC part-way through one file: one line naming it, every file of
    the previous run byte for byte as it was, no temporary file left. ``.cache``: a chunk's cache file
    (while computing); the others: the new artifacts, written beside the old ones before any replaces them."""
    _tone(_wav(corpus, clean.target), 1.5)  # the corpus changed: every stage writes again
    out, before = _previous_artifacts(clean, tmp_path)
    real_open = open

    def filling_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        hit = fills_at in Path(file).name if fills_at != ".cache" else Path(file).parent.parent.name == ".cache"
        return _FillsUp(handle, 100) if "w" in mode and hit else handle

    monkeypatch.setattr(files, "open", filling_open, raising=False)
    code, _, err = _prepare(corpus, out, capsys, "--quiet")
    assert code == 2 and len(err) == 1 and "No space left on device" in err[0], err
    if fills_at == ".cache":
        assert f"{out}/.cache/" in err[0], err
    else:  # named as the artifact, not as its hidden staged name
        kept = "(the previous artifacts are all kept)"
        assert err[0] == f"error: {out / fills_at}: cannot write: No space left on device {kept}", err
    monkeypatch.undo()
    after = _snapshot(out)
    assert {k: v for k, v in after.items() if not k.startswith(".cache/")} == {
        k: v for k, v in before.items() if not k.startswith(".cache/")}  # fmt: skip
    assert not _no_temporary_files(out)
    load_artifacts(out)  # still a complete, loadable folder


@pytest.fixture
def small_tmpfs(tmp_path):
    """``mount(kib, options)``: a tmpfs of that size (``"ro,"``: read-only), where the machine lets us mount
    one (root, no container restriction; CI may not), else the test is skipped; unmounted afterwards."""
    mounted = []

    def mount(kib: int, options: str = "") -> Path:
        folder = tmp_path / "tmpfs"
        folder.mkdir()
        command = ["mount", "-t", "tmpfs", "-o", f"{options}size={kib}k", "tmpfs", str(folder)]
        if shutil.which("mount") is None or subprocess.run(command, capture_output=True).returncode:
            pytest.skip("cannot mount a tmpfs here")
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_real_full_disk_keeps_the_previous_artifacts(clean, corpus, small_tmpfs, capsys):
    """A previous artifacts folder (its cache left out) on a tmpfs with 64 KiB to spare: the new run's
    cache and staged files run out of room for real."""
    size = sum(p.stat().st_size for p in clean.out.iterdir() if p.is_file())
    out = small_tmpfs(size // 1024 + 64) / "artifacts"
    shutil.copytree(clean.out, out, ignore=shutil.ignore_patterns(".cache"))
    before = _snapshot(out)
    _tone(_wav(corpus, clean.target), 1.5)
    code, _, err = _prepare(corpus, out, capsys, "--quiet")
    assert code == 2 and len(err) == 1 and "No space left on device" in err[0], err
    assert {k: v for k, v in _snapshot(out).items() if not k.startswith(".cache/")} == before
    assert not _no_temporary_files(out)


def test_a_read_only_output_folder_is_one_line(clean, small_tmpfs, capsys):
    """Root writes through file permissions, so a read-only file system is the unwritable folder here."""
    out = small_tmpfs(64, "ro,") / "artifacts"
    code, _, err = _prepare(clean.root, out, capsys, "--quiet")
    assert code == 2 and len(err) == 1 and str(out) in err[0] and "Read-only file system" in err[0], err


# -- outputs that cannot be written ----------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    ["prepare", "--data", "{corpus}", "--out", "{blocked}"],
    ["inspect", "--data", "{corpus}", "--out", "{blocked}/table.csv"],
    ["sample-data", "--corpus", "kemdy20", "--sessions", "1", "--out", "{blocked}"],
    ["run", "--data", "{corpus}", "--artifacts", "{blocked}", "--runs-dir", "{tmp}/runs", "--epochs", "1"],
], ids=["prepare", "inspect", "sample-data", "run"])  # fmt: skip
def test_an_unwritable_output_folder_is_one_line_before_any_work(clean, tmp_path, capsys, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    values = {"corpus": str(clean.root), "blocked": str(blocker / "sub"), "tmp": str(tmp_path)}
    assert main([part.format(**values) for part in command]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and str(blocker) in err[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing else was written
