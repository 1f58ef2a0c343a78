"""SHAP token bars in the terminal: the tokens of one explained text by |SHAP value|,
largest first, towards the class the model predicted.

Positive values (towards the prediction) draw `█` bars and a `+`, negative ones `░` bars
and a `-`, so the sign reads without colour; the z_u word is marked `▶` and `z_u`, in bold
reverse.
"""

from __future__ import annotations

import math

from rich.text import Text

from engine.explain.artifacts import ShapRecord

BAR_WIDTH = 28
SHOWN = 14
FEATURE_MARK = "▶"


def token_bars(record: ShapRecord, shown: int = SHOWN, width: int = BAR_WIDTH) -> Text:
    """The bars as rich Text, one token per line."""
    items = record.ranked()[:shown]
    out = Text()
    meta = record.meta
    out.append(
        f"towards class {meta.get('pred', '?')} (the prediction; true class {meta.get('label', '?')})"
        f" · z_u rank {record.rank}\n",
        style="bold",
    )
    if not items:
        out.append("(no tokens)")
        return out
    scale = max(abs(v) for _, v, _ in items) or 1.0
    label_width = min(18, max(len(t.strip()) for t, _, _ in items) + 4)
    for token, value, is_feature in items:
        mark = f"{FEATURE_MARK} z_u " if is_feature else "      "
        label = token.strip()[: label_width - 1].rjust(label_width)
        length = 0 if not math.isfinite(value) else max(1, round(width * abs(value) / scale))
        sign = "+" if value >= 0 else "-"
        bar = ("█" if value >= 0 else "░") * length
        line_style = "bold reverse" if is_feature else ""
        out.append(mark, style="bold" if is_feature else "")
        out.append(label, style=line_style)
        out.append(f" {sign} ")
        out.append(bar.ljust(width), style="red" if value >= 0 else "blue")
        out.append(f" {value:+.3g}\n")
    return out
