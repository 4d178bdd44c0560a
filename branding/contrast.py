"""WCAG 2.x contrast between two sRGB colours; no Django here.

Relative luminance and contrast ratio as defined in WCAG 2.2, "relative luminance" and
"contrast ratio" (https://www.w3.org/TR/WCAG22/#dfn-relative-luminance). The sRGB linearisation
threshold is 0.04045 (IEC 61966-2-1); WCAG's historic 0.03928 gives identical results for 8-bit
channels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AA_NORMAL_TEXT = 4.5
HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def hex_parse(colour: str) -> tuple[int, int, int]:
    """`#abc` or `#aabbcc` -> (r, g, b) in 0..255; ValueError otherwise."""
    if not HEX_COLOUR.match(colour or ""):
        raise ValueError(f"not a hex colour: {colour!r}")
    digits = colour[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    r, g, b = hex_parse(colour)
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """(L_lighter + 0.05) / (L_darker + 0.05): from 1.0 (same colour) to 21.0 (black on white)."""
    first, second = relative_luminance(foreground), relative_luminance(background)
    lighter, darker = max(first, second), min(first, second)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class ContrastFailure:
    foreground_name: str
    background_name: str
    ratio: float
    required: float

    def message(self, labels: dict[str, str] | None = None) -> str:
        labels = labels or {}
        fg = labels.get(self.foreground_name, self.foreground_name)
        bg = labels.get(self.background_name, self.background_name)
        # Truncate rather than round, so 4.499 is never shown as a passing "4.50".
        shown = int(self.ratio * 100) / 100
        return (
            f"Contrast of {fg} on {bg} is {shown:.2f}:1; "
            f"WCAG AA needs at least {self.required:.1f}:1 for text."
        )


def contrast_failures(
    colours: dict[str, str],
    pairs: tuple[tuple[str, str], ...],
    required: float = AA_NORMAL_TEXT,
) -> list[ContrastFailure]:
    """Every (foreground, background) pair of `colours` whose ratio is below `required`."""
    failures = []
    for fg, bg in pairs:
        ratio = contrast_ratio(colours[fg], colours[bg])
        if ratio < required:
            failures.append(ContrastFailure(fg, bg, ratio, required))
    return failures
