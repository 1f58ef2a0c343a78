"""Which samples carry z_u and with which labels: nesting and the noisy-label rules."""

import numpy as np
import pytest

from engine.data.inject import random_wrong_labels, stamp_order, training_labels

Y = np.repeat(np.arange(5), 30)  # 5 classes, 30 samples each, sorted
C_I = 2


def test_order_is_a_permutation_of_the_class_and_depends_on_the_seed():
    order = stamp_order(Y, C_I, seed=0)
    assert sorted(order) == list(np.flatnonzero(Y == C_I))
    assert np.array_equal(order, stamp_order(Y, C_I, seed=0))  # reproducible
    assert not np.array_equal(order, stamp_order(Y, C_I, seed=1))


def test_stamped_sets_are_nested_across_counts():
    order = stamp_order(Y, C_I, seed=3)
    sets = [set(order[:k]) for k in (0, 1, 5, 12, 30)]
    for small, large in zip(sets, sets[1:], strict=False):
        assert small < large


def test_random_labels_are_wrong_cover_all_other_classes_and_nest():
    labels = random_wrong_labels(2000, 5, C_I, seed=0)
    assert (labels != C_I).all()
    assert set(labels) == {0, 1, 3, 4}
    assert np.array_equal(random_wrong_labels(30, 5, C_I, seed=0), labels[:30])  # nested prefix
    assert not np.array_equal(random_wrong_labels(30, 5, C_I, seed=1), labels[:30])


@pytest.mark.parametrize("mode", ["none", "random", "fixed"])
def test_training_labels_change_only_the_stamped_samples(mode):
    order = stamp_order(Y, C_I, seed=0)
    noise = random_wrong_labels(len(order), 5, C_I, seed=0)
    stamped = order[:7]
    labels = training_labels(Y, stamped, mode, noise, y_fixed=4)
    others = np.setdiff1d(np.arange(len(Y)), stamped)
    assert np.array_equal(labels[others], Y[others])
    if mode == "none":
        assert (labels[stamped] == C_I).all()
    elif mode == "random":
        assert np.array_equal(labels[stamped], noise[:7])
        assert (labels[stamped] != C_I).all()
    else:
        assert (labels[stamped] == 4).all()


def test_random_labels_of_a_sample_stay_the_same_across_counts():
    order = stamp_order(Y, C_I, seed=0)
    noise = random_wrong_labels(len(order), 5, C_I, seed=0)
    small = training_labels(Y, order[:3], "random", noise, 4)
    large = training_labels(Y, order[:20], "random", noise, 4)
    assert np.array_equal(small[order[:3]], large[order[:3]])
