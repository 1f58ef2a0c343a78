"""Number formats shared by the screens: short, fixed-width, NaN shown as '-'."""

from __future__ import annotations

import math

from engine.progress import duration

__all__ = ["duration", "fixed", "p_value", "signed", "spread"]


def fixed(value: float, digits: int = 2) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def signed(value: float, digits: int = 2) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:+.{digits}f}"


def p_value(value: float) -> str:
    """Three decimals, small ones in powers of ten; an underflow to 0 as `<1e-300`."""
    if value is None or math.isnan(value):
        return "-"
    if value < 1e-300:
        return "<1e-300"
    return f"{value:.0e}" if value < 1e-3 else f"{value:.3f}"


def spread(mean: float, std: float, digits: int = 1) -> str:
    """`mean±std`, or the mean alone where one seed leaves no spread."""
    if mean is None or math.isnan(mean):
        return "-"
    if std is None or math.isnan(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f}±{std:.{digits}f}"
