"""How long `emotion run` will take, said before it starts, and each stage's ETA while it runs.

The estimate is rough on purpose and says so: it multiplies what the corpus holds (segments and
seconds of audio, read from the wav headers in about a second) by calibrated per-unit costs:

- prepare: ``PREPARE_S_PER_AUDIO_S`` per second of audio plus ``PREPARE_S_PER_SEGMENT`` per segment
  (a cold prepare; a cached rerun takes a few seconds);
- each model fit (one per fold, plus the final model of the first seed): per configured epoch,
  ``EPOCH_S_PER_AUDIO_S[model]`` per second of audio plus ``EPOCH_S_PER_SEGMENT[model]`` per segment,
  times ``EPOCHS_RUN_FRACTION`` (early stopping ends most fits before the last epoch);
- fusion and report: ``FIXED_S`` each.

The costs were measured with ``benchmarks/bench_train.py`` and ``benchmarks/bench_run.py`` on the
2-core machine this project is developed on (float32, CPU): on another machine, a GPU, another
encoder or a busy machine the run can take a fraction or a multiple of it. While the run goes,
`RunClock` rescales what is left by how the finished stages compared with their estimates, so the
ETA it prints improves as stages finish.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PREPARE_S_PER_AUDIO_S = 1 / 1600
PREPARE_S_PER_SEGMENT = 2e-3
EPOCH_S_PER_AUDIO_S = {"speech": 2.4e-3, "early_fusion": 2.6e-3}
EPOCH_S_PER_SEGMENT = {"text": 1.4e-3, "bio": 2.5e-4, "early_fusion": 1.6e-3}
DEFAULT_EPOCH_S_PER_SEGMENT = 1.4e-3
"""A model not calibrated above (a registered plug-in) is costed like the text network."""
EPOCHS_RUN_FRACTION = 0.5
FIXED_S = 10.0


@dataclass(frozen=True)
class CorpusSize:
    """What the estimate reads from a corpus folder: wav files, seconds of audio, sessions."""

    segments: int
    audio_seconds: float
    sessions: int


def corpus_size(data: str | Path) -> CorpusSize:
    """Count the wav files under ``data/wav`` (KEMDy19 two levels deep, KEMDy20 one; never a
    ``converted`` copy) and add their durations from the headers (``soundfile.info``)."""
    import soundfile

    root = Path(data) / "wav"
    files = [p for p in [*root.glob("*/*.wav"), *root.glob("*/*/*.wav")] if "converted" not in p.parts]
    seconds = 0.0
    for path in files:
        try:
            seconds += soundfile.info(str(path)).duration
        except (RuntimeError, OSError):  # unreadable: prepare lists it; here it just counts as nothing
            continue
    sessions = len({p.relative_to(root).parts[0] for p in files})
    return CorpusSize(len(files), seconds, sessions)


def model_fits(n_folds: int, seeds: int, final_model: bool = True) -> int:
    """Networks trained per model: every fold of every seed, plus the final model (first seed only)."""
    return n_folds * seeds + int(final_model)


def fit_seconds(model: str, size: CorpusSize, epochs: int) -> float:
    """One fit of ``model`` on this corpus with ``epochs`` configured."""
    per_epoch = (EPOCH_S_PER_AUDIO_S.get(model, 0.0) * size.audio_seconds
                 + EPOCH_S_PER_SEGMENT.get(model, DEFAULT_EPOCH_S_PER_SEGMENT if model not in EPOCH_S_PER_AUDIO_S
                                           else 0.0) * size.segments)
    return per_epoch * epochs * EPOCHS_RUN_FRACTION


def stage_estimates(size: CorpusSize, models: Iterable[str], *, n_folds: int, epochs: int,
                    seeds: Sequence[int] = (0,), fusion: bool = True) -> dict[str, float]:
    """Seconds per stage of one run, named as `pipeline` names them in ``timings.json`` (the first of
    ``seeds`` also trains the final models)."""
    stages = {"prepare": PREPARE_S_PER_AUDIO_S * size.audio_seconds + PREPARE_S_PER_SEGMENT * size.segments}
    models = list(models)
    for k, seed in enumerate(seeds):
        tag = "" if k == 0 else f" seed {seed}"
        for model in models:
            stages[f"train {model}{tag}"] = (n_folds + (1 if k == 0 else 0)) * fit_seconds(model, size, epochs)
        if fusion:
            stages[f"fusion{tag}"] = FIXED_S
    stages["report"] = FIXED_S
    return stages


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 35 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{int(seconds // 3600)} h {seconds % 3600 / 60:.0f} min"


def estimate_line(size: CorpusSize, stages: dict[str, float], fits: int, n_models: int) -> str:
    """The one line `emotion run` prints before it starts."""
    hours = size.audio_seconds / 3600
    return (f"estimate: about {duration(sum(stages.values()))} in all for {size.segments} segments "
            f"({hours:.1f} h of audio), {n_models} models x {fits} fits (rough: calibrated on a 2-core CPU; "
            f"early stopping, the machine and its load can halve or double it)")


class RunClock:
    """Per-stage progress lines with the run's ETA, rescaled as stages finish.

    ``start(stage)`` returns the line announcing stage k of n with its estimate and the time left
    in the whole run; ``done(stage, seconds)`` records how long it took. The remaining estimates are
    scaled by (time spent / estimated) over the finished stages, so a slow machine's ETA corrects
    itself after the first stages.
    """

    def __init__(self, stages: dict[str, float], clock=time.time):
        self.stages, self.clock = dict(stages), clock
        self.finished: dict[str, float] = {}

    def _scale(self) -> float:
        estimated = sum(self.stages.get(s, 0.0) for s in self.finished)
        spent = sum(self.finished.values())
        return spent / estimated if estimated > 1.0 and spent > 0 else 1.0

    def left(self) -> float:
        """Seconds of the run still ahead, as now rescaled."""
        return self._scale() * sum(v for s, v in self.stages.items() if s not in self.finished)

    def start(self, stage: str) -> str:
        order = list(self.stages)
        position = f"[{order.index(stage) + 1}/{len(order)}] " if stage in self.stages else ""
        own = self._scale() * self.stages.get(stage, 0.0)
        left = self.left()
        eta = time.strftime("%H:%M", time.localtime(self.clock() + left))
        return f"{position}{stage}: ~{duration(own)} (run: ~{duration(left)} left, ETA {eta})"

    def done(self, stage: str, seconds: float) -> None:
        self.finished[stage] = float(seconds)
