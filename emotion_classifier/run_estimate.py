"""How long `emotion run` will take, said before it starts, and each stage's ETA while it runs.

The estimate is rough on purpose and says so: it multiplies what the corpus holds (segments and
seconds of audio, read from the wav headers in about a second) by calibrated per-unit costs:

- prepare: ``PREPARE_FIXED_S`` plus ``PREPARE_S_PER_AUDIO_S`` per second of audio plus
  ``PREPARE_S_PER_SEGMENT`` per segment (a cold prepare; a cached rerun takes a second or two);
- each model fit (one per fold, plus the final model of the first seed): ``FIT_S`` (building, tracing,
  predicting, saving) plus, per epoch run, ``EPOCH_S_PER_AUDIO_S[model]`` per second of audio the network
  reads (each segment counted up to ``max_frames``, 5 s by default) and ``EPOCH_S_PER_SEGMENT[model]`` per
  segment; early stopping is taken to run ``EPOCHS_RUN_FRACTION`` of the configured epochs (`epochs_run`:
  at least ``patience + 1``, at most all);
- fusion and report: ``FIXED_S`` each.

Calibration: the costs reproduce the figures measured on the project's 2-core CPU machine when it was not
shared (the README's demo run: text 38 s, speech 78 s, bio 24 s, early fusion 119 s for six fits on 657
segments; and one fold + final model on a 10,226-segment corpus: bio 62 s, text 134 s, speech 434 s, within
20 %), then recalibrated on the full KEMDy19-size run of 2026-12-01 after streaming batches and the faster
prepare (10,272 segments, 16.3 h, 5 folds + final model, nearly quiet machine: prepare 33 s, text 347 s,
speech 1,213 s, bio 70 s, early fusion 1,569 s, 54 min in all; the costs before said 1 h 30 min). Now the full
run is estimated at 55.5 min and the demo's training at about 3.8 min (measured 4.3 min on 2026-11-30). On the
same machine shared with other work, ``benchmarks/bench_train.py`` ran two to three times slower; a GPU,
another machine, another encoder or another early-stopping epoch can move it further. While the run goes,
`RunClock` rescales what is left by how the finished stages compared with their estimates (training stages
only), so the ETA it prints corrects itself as models finish.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PREPARE_S_PER_AUDIO_S = 1 / 3000
PREPARE_S_PER_SEGMENT = 2e-3
PREPARE_FIXED_S = 6.0
FIT_S = 4.0
EPOCH_S_PER_AUDIO_S = {"speech": 3.5e-4, "early_fusion": 3.5e-4}
EPOCH_S_PER_SEGMENT = {"text": 3.6e-4, "bio": 7.0e-5, "early_fusion": 4.1e-4}
DEFAULT_EPOCH_S_PER_SEGMENT = 4.4e-4
"""A model not calibrated above (a registered plug-in) is costed like the text network."""
EPOCHS_RUN_FRACTION = 0.5
FIXED_S = 10.0
FRAMES_PER_SECOND = 100  # hop 160 at 16 kHz


@dataclass(frozen=True)
class CorpusSize:
    """What the estimate reads from a corpus folder: wav files, seconds of audio, sessions."""

    segments: int
    audio_seconds: float
    sessions: int
    durations: tuple[float, ...] = ()

    def read_seconds(self, max_frames: int) -> float:
        """Seconds of audio a network cut at ``max_frames`` frames reads (all of it without durations)."""
        if not self.durations:
            return self.audio_seconds
        cap = max_frames / FRAMES_PER_SECOND
        return float(sum(min(d, cap) for d in self.durations))


def corpus_size(data: str | Path) -> CorpusSize:
    """Count the wav files under ``data/wav`` (KEMDy19 two levels deep, KEMDy20 one; never a
    ``converted`` copy) and add their durations from the headers (``soundfile.info``)."""
    import soundfile

    root = Path(data) / "wav"
    files = [p for p in [*root.glob("*/*.wav"), *root.glob("*/*/*.wav")] if "converted" not in p.parts]
    durations = []
    for path in files:
        try:
            durations.append(float(soundfile.info(str(path)).duration))
        except (RuntimeError, OSError):  # unreadable: prepare lists it; here it just counts as nothing
            continue
    sessions = len({p.relative_to(root).parts[0] for p in files})
    return CorpusSize(len(files), float(sum(durations)), sessions, tuple(durations))


def model_fits(n_folds: int, seeds: int, final_model: bool = True) -> int:
    """Networks trained per model: every fold of every seed, plus the final model (first seed only)."""
    return n_folds * seeds + int(final_model)


def epochs_run(epochs: int, patience: int = 5) -> float:
    """Epochs a fit is expected to run: ``EPOCHS_RUN_FRACTION`` of them, but early stopping cannot stop
    before ``patience + 1`` epochs, nor go past ``epochs``."""
    return float(min(epochs, max(patience + 1, EPOCHS_RUN_FRACTION * epochs)))


def fit_seconds(model: str, size: CorpusSize, epochs: int, max_frames: int = 500, patience: int = 5) -> float:
    """One fit of ``model`` on this corpus with ``epochs`` configured and frames cut at ``max_frames``."""
    per_segment = EPOCH_S_PER_SEGMENT.get(model, 0.0 if model in EPOCH_S_PER_AUDIO_S else DEFAULT_EPOCH_S_PER_SEGMENT)
    per_epoch = EPOCH_S_PER_AUDIO_S.get(model, 0.0) * size.read_seconds(max_frames) + per_segment * size.segments
    return FIT_S + per_epoch * epochs_run(epochs, patience)


def stage_estimates(size: CorpusSize, models: Iterable[str], *, n_folds: int, epochs: int, max_frames: int = 500,
                    patience: int = 5, seeds: Sequence[int] = (0,), fusion: bool = True) -> dict[str, float]:
    """Seconds per stage of one run, named as `pipeline` names them in ``timings.json`` (the first of
    ``seeds`` also trains the final models)."""
    stages = {"prepare": PREPARE_FIXED_S + PREPARE_S_PER_AUDIO_S * size.audio_seconds
              + PREPARE_S_PER_SEGMENT * size.segments}
    models = list(models)
    for k, seed in enumerate(seeds):
        tag = "" if k == 0 else f" seed {seed}"
        for model in models:
            fits = n_folds + (1 if k == 0 else 0)
            stages[f"train {model}{tag}"] = fits * fit_seconds(model, size, epochs, max_frames, patience)
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
            f"({hours:.1f} h of audio), {n_models} models x {fits} fits (rough: calibrated on an idle 2-core CPU; "
            f"early stopping, the machine and its load can halve it or make it several times longer)")


class RunClock:
    """Per-stage progress lines with the run's ETA, rescaled as stages finish.

    ``start(stage)`` returns the line announcing stage k of n with its estimate and the time left
    in the whole run; ``done(stage, seconds)`` records how long it took. The remaining estimates are
    scaled by (time spent / estimated) over the finished training stages, so a slow machine's ETA
    corrects itself after the first model.
    """

    def __init__(self, stages: dict[str, float], clock=time.time):
        self.stages, self.clock = dict(stages), clock
        self.finished: dict[str, float] = {}

    def _scale(self) -> float:
        # Training stages only: a cached prepare takes a second where a cold one takes minutes, which
        # says nothing about how fast this machine trains.
        done = [s for s in self.finished if s.startswith("train ")]
        estimated = sum(self.stages.get(s, 0.0) for s in done)
        spent = sum(self.finished[s] for s in done)
        return spent / estimated if estimated > 1.0 and spent > 0 else 1.0

    def _expected(self, stage: str) -> float:
        scale = self._scale() if stage.startswith("train ") else 1.0
        return scale * self.stages.get(stage, 0.0)

    def left(self) -> float:
        """Seconds of the run still ahead, as now rescaled (training stages only)."""
        return sum(self._expected(s) for s in self.stages if s not in self.finished)

    def start(self, stage: str) -> str:
        order = list(self.stages)
        position = f"[{order.index(stage) + 1}/{len(order)}] " if stage in self.stages else ""
        own = self._expected(stage)
        left = self.left()
        eta = time.strftime("%H:%M", time.localtime(self.clock() + left))
        return f"{position}{stage}: ~{duration(own)} (run: ~{duration(left)} left, ETA {eta})"

    def done(self, stage: str, seconds: float) -> None:
        self.finished[stage] = float(seconds)
