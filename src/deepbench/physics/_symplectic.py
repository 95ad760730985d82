"""Fixed-step symplectic schemes for separable Hamiltonians H = T(p) + V(q).

Both are compositions of kick (p ← p − c·dt·∂V/∂q) and drift (q ← q + d·dt·∂T/∂p) maps:
leapfrog is kick ½, drift 1, kick ½ (2nd order); Yoshida's 4th-order scheme composes three
leapfrogs with weights w₁, w₀, w₁, w₁ = 1/(2 − 2^⅓), w₀ = −2^⅓/(2 − 2^⅓) (Yoshida 1990,
Phys. Lett. A 150, 262). The force at the end of a step is reused at the start of the next, so a
step costs 1 (leapfrog) or 3 (Yoshida) force evaluations.
"""

from __future__ import annotations

W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
W0 = -(2.0 ** (1.0 / 3.0)) / (2.0 - 2.0 ** (1.0 / 3.0))

# (kick coefficients, drift coefficients): kick c0, drift d0, kick c1, ..., drift d_{n-1}, kick c_n
SCHEMES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "leapfrog": ((0.5, 0.5), (1.0,)),
    "yoshida4": ((W1 / 2, (W1 + W0) / 2, (W0 + W1) / 2, W1 / 2), (W1, W0, W1)),
}
ORDER = {"leapfrog": 2, "yoshida4": 4}
