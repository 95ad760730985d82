"""Numbers a spec may hold: finite, and small enough that arithmetic on them stays finite.

Every number in a spec (prior parameters, weights, noise levels, split fractions and comparisons)
must be finite with magnitude at most ``MAX_MAGNITUDE`` (1e100). That admits any physical scale in
SI units (a galaxy's mass is ~1e42 kg) and keeps sums, differences and products of two such numbers
finite in float64 (max ≈ 1.8e308). Where a computation needs a tighter range, the field or the
parameter declares it: Poisson means and gains at most ``MAX_POISSON`` (NumPy's sampler stops near
9.2e18). ``.inf``, ``.nan``
and, say, a uniform prior over ±1e308 (whose width overflows) are refused before any work, naming
the field.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

MAX_MAGNITUDE = 1e100
MAX_POISSON = 1e15  # Poisson means and gains: lam · counts stays far below 2**63


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
