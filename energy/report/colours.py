"""Colours of the report pictures: classed scales and WCAG 2.1 contrast.

Classed scales with equal intervals (Harrower and Brewer 2003, "ColorBrewer.org",
The Cartographic Journal 40(1), https://doi.org/10.1179/000870403235002042):
:data:`SEQUENTIAL` (5 classes from the smallest to the largest value, darker
is more) and :data:`DIVERGING` (7 classes symmetric around 0 up to the largest
absolute value, orange below, grey about 0, blue above). Every class colour
has a contrast of at least 3:1 against white (WCAG 2.1 success criterion
1.4.11, non-text contrast, https://www.w3.org/TR/WCAG21/#non-text-contrast),
and the value in a cell is written in black or white, whichever contrasts
more (at least 4.5:1, criterion 1.4.3). Contrast is the WCAG 2.1 ratio of
relative luminances (:func:`contrast_ratio`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from energy.errors import InputDataError

Scale = Literal["sequential", "diverging"]

#: Sequential classes, smallest values first (blue-green, darker is more).
SEQUENTIAL = ("#4a9e8a", "#2f8a92", "#23709c", "#26559a", "#1f2f70")
#: Diverging classes, most negative first: orange below 0, grey about 0, blue above.
DIVERGING = ("#6b3204", "#a8520a", "#cc6c12", "#919191", "#5a8acb", "#2f6aa6", "#1b3a6c")
#: Text colours a cell's value is written in (the one contrasting more with the cell).
TEXT_COLOURS = ("#000000", "#ffffff")
#: Colour of titles, labels and legend text (the dashboard's text colour).
INK = "#1a1f24"
#: Missing values: hatch lines and background of the cell.
MISSING_LINE = "#6b6b6b"
MISSING_FILL = "#f0f0f0"


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour ``#rrggbb`` [0..1].

    ``L = 0.2126 R + 0.7152 G + 0.0722 B`` with each channel ``c`` (0..1)
    linearised as ``c / 12.92`` if ``c <= 0.04045`` else
    ``((c + 0.055) / 1.055) ** 2.4``
    (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance).
    """
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        raise InputDataError(f"colour: {colour!r} is not allowed; give #rrggbb")
    channels = [int(colour[i : i + 2], 16) / 255.0 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio ``(L1 + 0.05) / (L2 + 0.05)``, L1 the lighter [1..21].

    Reference: https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio
    """
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(fill: str) -> str:
    """Return the colour of :data:`TEXT_COLOURS` that contrasts more with ``fill``."""
    return max(TEXT_COLOURS, key=lambda c: contrast_ratio(c, fill))


@dataclass(frozen=True)
class ColourScale:
    """A classed colour scale: class ``i`` holds values in ``[edges[i], edges[i+1]]``.

    Attributes
    ----------
    colours
        One colour per class, lowest values first.
    edges
        Class boundaries, ``len(colours) + 1`` ascending values.
    flat_index
        Class of every value when all edges are equal (all values alike).
    """

    colours: tuple[str, ...]
    edges: tuple[float, ...]
    flat_index: int

    def index(self, value: float) -> int:
        """Class of ``value`` (values beyond the ends go to the end classes)."""
        lo, hi = self.edges[0], self.edges[-1]
        n = len(self.colours)
        if hi <= lo:
            return self.flat_index
        return min(n - 1, max(0, math.floor((value - lo) / (hi - lo) * n)))

    def colour(self, value: float) -> str:
        """Colour of ``value``."""
        return self.colours[self.index(value)]


def colour_scale(values: np.ndarray, scale: Scale) -> ColourScale:
    """Equal-interval classes over the finite ``values`` (module docstring).

    ``sequential``: :data:`SEQUENTIAL` from the smallest to the largest value
    (all in the last class if they are equal). ``diverging``: :data:`DIVERGING`
    from ``-m`` to ``m``, ``m`` the largest absolute value, so 0 lies in the
    middle class (all there if every value is 0).
    """
    finite = values[np.isfinite(values)]
    colours: tuple[str, ...]
    if scale == "sequential":
        colours = SEQUENTIAL
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    elif scale == "diverging":
        colours = DIVERGING
        m = float(np.abs(finite).max()) if finite.size else 0.0
        lo, hi = -m, m
    else:
        raise InputDataError(f"scale: {scale!r} is not allowed; use sequential or diverging")
    n = len(colours)
    edges = tuple(lo + (hi - lo) * i / n for i in range(n + 1))
    flat = n - 1 if scale == "sequential" else n // 2
    return ColourScale(colours=colours, edges=edges, flat_index=flat)
