"""Numbers a spec may hold: finite, and small enough that arithmetic on them stays finite.

Every number in a spec (prior parameters, weights, noise levels, split fractions and comparisons)
must be finite with magnitude at most ``MAX_MAGNITUDE`` (1e15). That is far beyond any physical
scale in a declared unit, keeps integers exact in float64 (< 2**53), keeps sums, differences and
products of two such numbers finite even in float32 (max ≈ 3.4e38), and keeps Poisson means below
NumPy's limit (≈ 9.2e18). ``.inf``, ``.nan`` and, say, a uniform prior over ±1e308 (whose width
overflows) are refused before any work, naming the field.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

MAX_MAGNITUDE = 1e15


def check_number(value: Any) -> Any:
    """``value`` unchanged if it is not a number or a finite one of magnitude <= MAX_MAGNITUDE.

    Raises ``ValueError`` (which pydantic reports with the field path) otherwise.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"a number of magnitude at most {MAX_MAGNITUDE:g}")
    return value


_CHECKS = (BeforeValidator(check_number), AfterValidator(check_number))

Number = Annotated[float | int, *_CHECKS]
"""A spec number that keeps its type (an integer stays an integer in the resolved spec)."""

Real = Annotated[float, *_CHECKS]
Integer = Annotated[int, *_CHECKS]
