"""`prepare`: a corpus folder -> an aligned, cached artifacts folder (docs/architecture.md).

Nothing in the output folder is touched until every stage has finished: an interrupted run
leaves the previous artifacts as they were (and its finished chunks in `.cache/`). Then every new
file, the manifest included, is written beside its target first; only when all are written is the
old manifest removed and each renamed into place, the manifest last. A write that fails (a full
disk) changes nothing; a folder whose renaming was cut short has no manifest and `load_artifacts`
refuses it. ``--strict`` stops at the first problem, before the stages after it are computed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path
from typing import Any

import pandas as pd

from emotion_classifier import registry
from emotion_classifier.datasets import open_corpus
from emotion_classifier.datasets.layout import annotation_files
from emotion_classifier.datasets.summary import stop_at_first_problem
from emotion_classifier.errors import InputError
from emotion_classifier.features.artifacts import MANIFEST, SEGMENTS
from emotion_classifier.features.config import PrepareConfig
from emotion_classifier.features.freshness import folder_mtimes, nothing_changed
from emotion_classifier.features.identity import CACHE_DIR, BackgroundDigests, ContentDigests, check_output_folder
from emotion_classifier.features.manifest import (
    format_summary,
    input_changes,
    package_versions,
    read_manifest,
    version_differences,
)
from emotion_classifier.features.stage import StageContext, StageResult, strict_error
from emotion_classifier.files import (
    DiskFullError,
    fingerprint,
    replace_staged,
    temporary_sibling,
    write_json,
    write_text_atomic,
)

__all__ = ["CACHE_DIR", "prepare", "select_view", "stages"]


def stages() -> list:
    """The feature stage of every registered modality, in registration order (`registry`)."""
    return [registry.resolve(spec.stage) for spec in registry.stage_modalities()]


def select_view(table: pd.DataFrame, view: str, data: str | Path) -> pd.DataFrame:
    """The rows of one view, renumbered; refuses a view the corpus does not have."""
    attrs = dict(table.attrs)
    selected = table[table["view"].eq(view)].reset_index(drop=True)
    if selected.empty and not table.empty:
        raise InputError(f"no {view}-view rows (KEMDy20 is rated from the speaker's view only)", data)
    selected.attrs.update(attrs)
    return selected


def _raise_if_strict(sections: list[tuple[str, dict, type[InputError] | None]]) -> None:
    """``--strict``: a stage's first skipped segment (where it refuses skips), then its first listed problem."""
    for name, section, error_class in sections:
        if section.get("strict") and (error := strict_error(name, section, error_class or InputError)):
            raise error
        stop_at_first_problem(section.get("problems", []))


def _nothing_to_do(previous: dict, config: PrepareConfig, out: Path, progress: bool) -> Path:
    """A rerun that found inputs, settings and artifacts as the previous run left them."""
    if config.strict:
        stop_at_first_problem(previous.get("corpus_problems", []))
        _raise_if_strict([(name, section, None) for name, section in previous["stages"].items()])
    if progress:
        print(f"nothing changed since the previous run: {out} is up to date")
    return out


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _segments_csv(table: pd.DataFrame, results: list[StageResult], digests: ContentDigests) -> tuple[str, str, str]:
    """segments.csv's text, its SHA-256, and the SHA-256 of the same table with the file paths below
    the corpus root (`content_sha256`: unchanged when the corpus moves, so runs trained on the
    artifacts stay valid)."""
    table = table.assign(**{f"has_{r.name}": r.available for r in results})
    text = table.to_csv(index=False)
    relative = {c: table[c].map(lambda p: digests.relative(p) if p else p) for c in ("wav_path", "txt_path")}
    return text, _sha256(text), _sha256(table.assign(**relative).to_csv(index=False))


def _stage_outputs(out: Path, previous: dict, segments: tuple[str, str, str], results: list[StageResult],
                   staged: dict[Path, Path]) -> dict:  # fmt: skip
    """Write what changed beside its target under a hidden name (``staged``: hidden -> final); return the
    `segments` manifest section. Fingerprints are the hidden files', which a rename keeps."""
    text, sha, content_sha = segments
    old = previous.get("segments", {})
    segments_changed = old.get("sha256") != sha or fingerprint(out / SEGMENTS) != old.get("artifact_fingerprint")
    if segments_changed:
        staged[temporary_sibling(out / SEGMENTS)] = out / SEGMENTS
        write_text_atomic(next(reversed(staged)), text)
    written = {final: tmp for tmp, final in staged.items()}
    for result in results:
        if result.write is not None:
            staged[temporary_sibling(out / result.artifact)] = out / result.artifact
            result.write(next(reversed(staged)))
            written[out / result.artifact] = next(reversed(staged))
        result.section["artifact_fingerprint"] = fingerprint(written.get(out / result.artifact, out / result.artifact))
    return {"artifact": SEGMENTS, "sha256": sha, "content_sha256": content_sha,
            "artifact_fingerprint": fingerprint(written.get(out / SEGMENTS, out / SEGMENTS))}  # fmt: skip


def _write_outputs(out: Path, previous: dict, segments: tuple[str, str, str], results: list[StageResult],
                   manifest_of) -> dict:  # fmt: skip
    """Write what changed and the manifest, all or nothing; returns the manifest.

    Every new file, the manifest included, is first written beside its target under a hidden name; only
    when all are written is the old manifest removed and each moved into place (renames need no disk
    space; the manifest last). A write that fails (a disk that fills up) leaves the previous artifacts
    and their manifest as they were, and no hidden file behind.
    """
    staged: dict[Path, Path] = {}
    try:
        manifest = manifest_of(_stage_outputs(out, previous, segments, results, staged))
        staged[temporary_sibling(out / MANIFEST)] = out / MANIFEST
        write_json(next(reversed(staged)), manifest)
        if len(staged) > 1:  # a crash while replacing artifacts leaves a folder load_artifacts refuses
            (out / MANIFEST).unlink(missing_ok=True)
        replace_staged(staged)
    except DiskFullError as exc:  # name the artifact, not its hidden staged name
        final = staged.get(Path(exc.path or ""))
        if final is None:
            raise
        raise DiskFullError(exc.reason, final, "the previous artifacts are all kept") from None
    finally:
        for tmp in staged:
            tmp.unlink(missing_ok=True)
    return manifest


def _manifest(data, out, config, table, results, segments, previous, versions, digests, identity) -> dict:
    root = table.attrs["root"]
    paths = [str(p) for p in annotation_files(root)[table.attrs["corpus"]]]
    paths += [p for r in results for p in r.inputs]
    inputs = digests.inputs(paths)
    labelled = table["emotion"].ne("")
    return {
        "data": str(data),
        "root": root,
        "out": str(out),
        "corpus": table.attrs["corpus"],
        "corpus_identity": identity,
        "config": config.as_dict(),
        "versions": versions,
        "reused_across_versions": version_differences(previous, {r.name: r.section for r in results}, versions),
        "counts": {
            "segments": len(table),
            "labelled": int(labelled.sum()),
            "unlabelled_ties": int((~labelled & table["n_labels"].gt(1)).sum()),
            **{r.name: int(r.available.sum()) for r in results},
        },
        "corpus_problems": table.attrs.get("problems", []),
        "segments": segments,
        "stages": {r.name: r.section for r in results},
        "inputs": inputs,
        "folders": folder_mtimes(list(inputs), root),
        "changes": input_changes(previous.get("inputs", {}), inputs) if previous else {},
    }


def prepare(
    data: str | Path, out: str | Path, config: PrepareConfig | None = None, *, progress: bool = True,
    force: bool = False, **settings: Any,
) -> Path:
    """Preprocess the corpus at `data` into the artifacts folder `out`; returns `out`.

    Settings are `PrepareConfig` fields, given as a config, as keywords (`view="listener"`,
    `tokenizer="kiwi"`, `log_mel=True`, `jobs=2`, `strict=True`, ...) or both (keywords win).
    A rerun reuses every stage whose settings and inputs are unchanged, wherever the corpus is now
    mounted (inputs are matched by content). `progress` shows the progress bars and prints the
    summary. An `out` holding another corpus's artifacts, or other files, is refused before any work
    unless `force` (`identity.check_output_folder`).
    """
    config = dataclasses.replace(config or PrepareConfig(), **settings)
    out = Path(out)
    previous = read_manifest(out / MANIFEST)
    versions = package_versions()
    if nothing_changed(previous, data, out, config.as_dict(), versions):
        return _nothing_to_do(previous, config, out, progress)
    with BackgroundDigests(Path(data).resolve(), out / MANIFEST, enabled=config.jobs != 1) as background:
        corpus = open_corpus(data, tie_policy=config.ties)  # a broken annotation file is named before the folder check
        identity = check_output_folder(data, out, force=force)  # before anything is written
        table = select_view(corpus, config.view, data)
        if config.strict:  # each check as soon as its problem can be known: nothing later is computed
            stop_at_first_problem(table.attrs["problems"])
        digests = ContentDigests(table.attrs["root"], previous.get("inputs"))
        digests.adopt(background.found())
    out.mkdir(parents=True, exist_ok=True)
    context = StageContext(out, out / CACHE_DIR, previous.get("stages", {}), config.jobs, progress, digests)
    results = []
    for stage in stages():
        started = time.perf_counter()
        result = stage(table, config, context)
        if result is None:  # a stage with nothing configured (no pretrained encoder) writes nothing
            continue
        result.section["seconds"] = round(time.perf_counter() - started, 3)
        if result.write is not None:  # computed now: these versions made it (a reused one keeps its own)
            result.section["versions"] = versions
        results.append(result)
        if config.strict:
            _raise_if_strict([(result.name, result.section, result.strict_error)])
    segments = _segments_csv(table, results, digests)
    manifest = _write_outputs(out, previous, segments, results, lambda section: _manifest(
        data, out, config, table, results, section, previous, versions, digests, identity))
    if progress:
        print(format_summary(manifest))
    return out
