"""`jobs=None` starts workers only where the estimated work pays for their start-up."""

from joblib import effective_n_jobs

from emotion_classifier.features.runner import PARALLEL_MIN_SECONDS, Chunk, worker_count


def _chunks(costs):
    return [Chunk(f"k{i}", (), cost) for i, cost in enumerate(costs)]


def test_small_work_runs_in_this_process():
    assert worker_count(None, _chunks([PARALLEL_MIN_SECONDS / 10] * 5)) == 1


def test_big_work_uses_every_core_but_never_more_processes_than_chunks():
    cores = effective_n_jobs(-1)
    assert worker_count(None, _chunks([PARALLEL_MIN_SECONDS] * 64)) == min(cores, 64)
    assert worker_count(None, _chunks([PARALLEL_MIN_SECONDS * 2])) == 1


def test_unknown_cost_and_explicit_jobs_keep_the_old_behaviour():
    cores = effective_n_jobs(-1)
    assert worker_count(None, _chunks([None, 0.1] * 8)) == min(cores, 16)
    assert worker_count(2, _chunks([0.01] * 8)) == 2
    assert worker_count(1, _chunks([100.0] * 8)) == 1
    assert worker_count(None, []) == 1
