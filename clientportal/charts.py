"""Server-rendered SVG line charts from our own data: no chart library, nothing fetched at run
time. Pure: no Django import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("var(--brand-primary)", "var(--brand-accent)", "#7a7a7a")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]


def _scale(value: float, low: float, high: float, size: float) -> float:
    if high == low:
        return size / 2
    return (value - low) / (high - low) * size


def line_chart_svg(
    series: Sequence[Series],
    *,
    x_labels: Sequence[str] = (),
    width: int = 640,
    height: int = 240,
    title: str = "",
    unit: str = "%",
) -> str:
    """Lines over a shared x axis (index positions), y axis from the data's range with zero
    included; the first and last x label are printed."""
    series = [Series(s.label, [float(v) for v in s.values]) for s in series]
    pad_l, pad_r, pad_t, pad_b = 48, 12, 12, 28
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    values = [v for s in series for v in s.values]
    low, high = min([0.0, *values]), max([0.0, *values])
    count = max((len(s.values) for s in series), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    zero_y = pad_t + plot_h - _scale(0.0, low, high, plot_h)
    parts.append(
        f'<line x1="{pad_l}" y1="{zero_y:.1f}" x2="{width - pad_r}" y2="{zero_y:.1f}" '
        'stroke="currentColor" stroke-opacity=".3"/>'
    )
    for value in (low, high):
        y = pad_t + plot_h - _scale(value, low, high, plot_h)
        parts.append(
            f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="currentColor">{value:.2f}{escape(unit)}</text>'
        )
    for index, one in enumerate(series):
        if not one.values:
            continue
        step = plot_w / max(count - 1, 1)
        points = " ".join(
            f"{pad_l + i * step:.1f},{pad_t + plot_h - _scale(v, low, high, plot_h):.1f}"
            for i, v in enumerate(one.values)
        )
        colour = PALETTE[index % len(PALETTE)]
        dash = ' stroke-dasharray="5 4"' if index else ""
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{points}">'
            f"<title>{escape(one.label)}</title></polyline>"
        )
    if x_labels:
        parts.append(
            f'<text x="{pad_l}" y="{height - 8}" font-size="11" fill="currentColor">'
            f"{escape(x_labels[0])}</text>"
        )
        parts.append(
            f'<text x="{width - pad_r}" y="{height - 8}" text-anchor="end" font-size="11" '
            f'fill="currentColor">{escape(x_labels[-1])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
