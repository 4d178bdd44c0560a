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
    with_zero: bool = True,
    decimals: int = 2,
) -> str:
    """Lines over a shared x axis (index positions), y axis from the data's range (with zero
    included unless `with_zero` is off, as for a NAV that never nears it); the first and last
    x label are printed."""
    series = [Series(s.label, [float(v) for v in s.values]) for s in series]
    pad_l, pad_r, pad_t, pad_b = 48, 12, 12, 28
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    values = [v for s in series for v in s.values]
    floor = [0.0] if with_zero or not values else []
    low, high = min([*floor, *values], default=0.0), max([*floor, *values], default=0.0)
    count = max((len(s.values) for s in series), default=0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    base_y = pad_t + plot_h - _scale(0.0 if low <= 0.0 <= high else low, low, high, plot_h)
    parts.append(
        f'<line x1="{pad_l}" y1="{base_y:.1f}" x2="{width - pad_r}" y2="{base_y:.1f}" '
        'stroke="currentColor" stroke-opacity=".3"/>'
    )
    for value in (low, high):
        y = pad_t + plot_h - _scale(value, low, high, plot_h)
        parts.append(
            f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="currentColor">{value:,.{decimals}f}{escape(unit)}</text>'
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


ASSET_CLASS_LABELS = {
    "STK": "Stocks",
    "ETF": "Funds (ETF)",
    "FUND": "Funds",
    "BOND": "Bonds",
    "OPT": "Options",
    "FUT": "Futures",
    "CRYPTO": "Crypto",
    "CASH": "Cash",
}
DONUT_FILLS = (
    "var(--brand-primary)",
    "var(--brand-accent)",
    "#2e7d6b",
    "#b26a00",
    "#6a4c93",
    "#7a7a7a",
)


def donut_svg(slices: Sequence[tuple[str, float]], *, title: str, size: int = 160) -> str:
    """A ring of `slices` (label, value > 0) clockwise from twelve o'clock, largest first as
    given. The title names every slice with its share, for readers that cannot see it."""
    import math

    total = sum(v for _, v in slices if v > 0)
    shares = [(label, value / total) for label, value in slices if value > 0] if total else []
    alt = title + ": " + ", ".join(f"{label} {share:.0%}" for label, share in shares)
    centre, radius, ring = size / 2, size / 2 - 4, size * 0.18
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(alt)}" width="{size}" height="{size}">',
        f"<title>{escape(alt)}</title>",
    ]
    angle = -math.pi / 2
    for index, (label, share) in enumerate(shares):
        fill = DONUT_FILLS[index % len(DONUT_FILLS)]
        if share >= 0.9999:
            parts.append(
                f'<circle cx="{centre}" cy="{centre}" r="{radius - ring / 2:.2f}" fill="none" '
                f'stroke="{fill}" stroke-width="{ring:.2f}"><title>{escape(label)} 100%</title>'
                "</circle>"
            )
            break
        end = angle + share * 2 * math.pi
        r_out, r_in = radius, radius - ring
        large = 1 if share > 0.5 else 0
        x1, y1 = centre + r_out * math.cos(angle), centre + r_out * math.sin(angle)
        x2, y2 = centre + r_out * math.cos(end), centre + r_out * math.sin(end)
        x3, y3 = centre + r_in * math.cos(end), centre + r_in * math.sin(end)
        x4, y4 = centre + r_in * math.cos(angle), centre + r_in * math.sin(angle)
        parts.append(
            f'<path fill="{fill}" d="M{x1:.2f},{y1:.2f} A{r_out:.2f},{r_out:.2f} 0 {large} 1 '
            f"{x2:.2f},{y2:.2f} L{x3:.2f},{y3:.2f} A{r_in:.2f},{r_in:.2f} 0 {large} 0 "
            f'{x4:.2f},{y4:.2f} Z"><title>{escape(label)} {share:.0%}</title></path>'
        )
        angle = end
    parts.append("</svg>")
    return "".join(parts)
