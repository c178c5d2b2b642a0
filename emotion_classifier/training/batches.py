"""Training batches built per step: length-bucketed, padded per batch, never per corpus.

A sequence model's rows (frame arrays, token lists, dialogue windows) stay as the raw per-segment
inputs the artifacts hold (views into one concatenated array, no copy); each step encodes only its
own batch. Padding the whole training set to one length held every row at the longest allowed
length at once (3 GB for speech on a 10k-segment corpus) and made most of every batch padding.

Bucketing ("sortish" batching): each epoch the rows are shuffled with a generator seeded by
``(seed, epoch)``, cut into pools of ``pool_batches`` batches, each pool sorted by length and cut
into batches, and the batches' order shuffled again. Batches hold rows of similar lengths, so the
per-batch padding is small, and the order is still random and the same for the same seed. The
masked networks give the same output for a row whatever padding follows it
(`models.layers`), so only the batch composition differs from unbucketed training.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

POOL_BATCHES = 32
"""Batches per sorted pool: larger pools pad less, smaller ones mix lengths more."""
PREFETCH = 2
"""Batches encoded ahead of the step that needs them (a background thread of tf.data)."""


def batch_plan(n: int, batch_size: int, *, lengths: Sequence[int] | None = None, shuffle: bool = True,
               seed: int = 0, epoch: int = 0, pool_batches: int = POOL_BATCHES) -> list[np.ndarray]:
    """The row positions of each batch of one epoch (deterministic for ``seed`` and ``epoch``).

    Without ``lengths``: plain batches of the (shuffled) rows. With them: sortish buckets as the
    module docstring says; unshuffled (validation), the rows sorted by length (stable) and cut.
    """
    if n == 0:
        return []
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(n) if shuffle else np.arange(n)
    if lengths is not None:
        lengths = np.asarray(lengths)
        pool = max(1, pool_batches) * batch_size if shuffle else n
        order = np.concatenate([chunk[np.argsort(lengths[chunk], kind="stable")]
                                for chunk in np.array_split(order, range(pool, n, pool))])
    batches = [order[start:start + batch_size] for start in range(0, n, batch_size)]
    if shuffle and lengths is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


class RowBatches:
    """Raw rows + targets + per-output sample weights -> a ``tf.data.Dataset`` of encoded batches.

    ``encode`` turns a list of raw rows into the network's input for them (an encoder's
    ``transform_batch``, padding to the batch's longest row, or ``transform``); ``lengths`` (one per
    row) turns on bucketing. Each pass over the dataset is the next epoch: the plan of epoch ``k``
    depends only on ``seed`` and ``k``, so two fits with the same seed see the same batches.
    """

    def __init__(self, rows: Sequence, targets: dict, weights: dict, encode: Callable[[list], object],
                 batch_size: int, *, lengths: Sequence[int] | None = None, shuffle: bool = True, seed: int = 0):
        self.rows, self.targets, self.weights, self.encode = rows, targets, weights, encode
        self.batch_size, self.shuffle, self.seed = int(batch_size), bool(shuffle), int(seed)
        self.lengths = None if lengths is None else np.asarray(lengths, dtype=int)
        self.epochs_started = 0

    def __len__(self) -> int:
        return -(-len(self.rows) // self.batch_size)

    def batch(self, positions: np.ndarray) -> tuple:
        """``(inputs, targets, sample_weights)`` of the rows at ``positions``."""
        x = self.encode([self.rows[i] for i in positions])
        pick = lambda block: {k: np.asarray(v)[positions] for k, v in block.items()}  # noqa: E731
        return x, pick(self.targets), pick(self.weights)

    def epoch(self) -> Iterator[tuple]:
        """One epoch's batches; every call is the next epoch."""
        epoch, self.epochs_started = self.epochs_started, self.epochs_started + 1
        plan = batch_plan(len(self.rows), self.batch_size, lengths=self.lengths, shuffle=self.shuffle,
                          seed=self.seed, epoch=epoch)
        for positions in plan:
            yield self.batch(positions)

    def dataset(self):
        """The batches as a ``tf.data.Dataset`` (what ``Model.fit`` takes for ``x`` and ``validation_data``).

        The signature leaves the batch size and, with bucketing, the length open, so one traced step
        serves every batch (a ``keras.utils.PyDataset`` would fix both from its first two batches).
        """
        import tensorflow as tf

        example = self.batch(np.arange(min(len(self.rows), 1)))
        variable = 2 if self.lengths is not None else 1

        def spec(array) -> tf.TensorSpec:
            array = np.asarray(array)
            shape = (None,) * min(variable, array.ndim) + array.shape[variable:]
            return tf.TensorSpec(shape=shape, dtype=tf.as_dtype(array.dtype))

        signature = tf.nest.map_structure(spec, example)
        dataset = tf.data.Dataset.from_generator(self.epoch, output_signature=signature)
        # A known length: Keras then ends each epoch at the last batch rather than by running out of data.
        return dataset.apply(tf.data.experimental.assert_cardinality(len(self))).prefetch(PREFETCH)
