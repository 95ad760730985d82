"""Strong-lensing maths: a singular isothermal ellipsoid (SIE) plus external shear.

Conventions: angular coordinates (x, y) in any one unit (arcsec for the user, pixels inside the
renderer: the SIE deflection is homogeneous of degree 0 and scales with θ_E), measured from the
lens centre; +x along columns, +y along rows; angles in radians from +x towards +y.

Convergence of the SIE, in the frame (x', y') whose x' axis is the major axis (position angle φ),
with axis ratio q = b/a in (0, 1] (the "intermediate-axis" normalisation: the critical curve of a
round lens is the circle of radius θ_E, and the mass inside an isodensity ellipse does not
depend on q at fixed θ_E and area)::

    κ(x', y') = θ_E / (2 √(q x'² + y'²/q)).

Its deflection (Kormann, Schneider & Bartelmann 1994; in the atan/atanh form of Keeton 2001, with
ψ = √(q² x'² + y'²) and u = √(1 − q²))::

    α_x' = θ_E √q / u · atan(u x' / ψ),      α_y' = θ_E √q / u · atanh(u y' / ψ),

which tends to the singular isothermal sphere α = θ_E θ/|θ| as q → 1 (a series in u² is used
for u² < 1e-6). External shear (γ1, γ2) adds ψ_γ = ½ γ1 (x² − y²) + γ2 x y, i.e. α = S θ with
S = [[γ1, γ2], [γ2, −γ1]]. The lens equation is β = θ − α(θ).

Because the SIE potential is r·F(ϕ), its Hessian is 2κ t tᵀ with t the unit tangential vector; with
the shear's S the magnification 1/det(I − 2κ t tᵀ − S) is closed-form (:meth:`Lens.det_jacobian`).
Images of a point source reduce to a 1-D root in the polar angle ϕ (:meth:`Lens.images`): with
a(ϕ) the SIE deflection on the unit circle, Γ = γ1 cos 2ϕ + γ2 sin 2ϕ and Λ = −γ1 sin 2ϕ + γ2 cos 2ϕ,

    r(ϕ) = (β·e + a·e) / (1 − Γ),     g(ϕ) = β·t + a·t + r(ϕ) Λ = 0,     r > 0.

References: Kormann, Schneider & Bartelmann 1994, A&A 284, 285; Keeton 2001, astro-ph/0102341.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SERIES_U2 = 1e-6  # below this u² = 1 − q², the SIE deflection uses its series in u²
N_ANGLES = 512    # polar-angle grid on which image brackets are searched
MAX_IMAGES = 8    # image slots per source (an SIE with shear has at most 4 bright images)


def sie_deflection_frame(x: np.ndarray, y: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SIE deflection per unit θ_E in the lens frame (x along the major axis); q broadcasts.

    Exact at any q in (0, 1] including q = 1 (series in u² = 1 − q² below ``SERIES_U2``); 0 at
    the centre, where the deflection has no limit."""
    u2 = (1.0 - q) * (1.0 + q)
    psi = np.sqrt(q * q * x * x + y * y)
    psi = np.where(psi > 0, psi, 1.0)
    tx, ty = x / psi, y / psi
    small = u2 < SERIES_U2
    u = np.sqrt(np.where(small, 0.25, u2))        # (placeholder where the series is used)
    ax = np.arctan(u * tx) / u
    ay = np.arctanh(u * ty) / u
    if np.any(small):
        s = u2 * tx * tx
        ax = np.where(small, tx * (1.0 - s / 3.0 + s * s / 5.0 - s ** 3 / 7.0), ax)
        s = u2 * ty * ty
        ay = np.where(small, ty * (1.0 + s / 3.0 + s * s / 5.0 + s ** 3 / 7.0), ay)
    k = np.sqrt(q)
    return k * ax, k * ay


def sie_convergence_frame(x: np.ndarray, y: np.ndarray, q: np.ndarray) -> np.ndarray:
    """SIE convergence per unit θ_E in the lens frame: 1 / (2 √(q x² + y²/q)) (inf at 0)."""
    with np.errstate(divide="ignore"):
        return 0.5 / np.sqrt(q * x * x + y * y / q)


@dataclass(frozen=True)
class Lens:
    """A batch of SIE + external shear lenses; every field float64 and broadcastable.

    ``x0``, ``y0``: lens centre; ``theta_e``: Einstein radius (same unit as the coordinates);
    ``q``: axis ratio b/a in (0, 1]; ``angle``: major-axis position angle (rad, from +x towards
    +y); ``gamma1``, ``gamma2``: external shear (|γ| < 1).
    """

    x0: np.ndarray
    y0: np.ndarray
    theta_e: np.ndarray
    q: np.ndarray
    angle: np.ndarray
    gamma1: np.ndarray
    gamma2: np.ndarray

    def expand(self, ndim: int) -> Lens:
        """The same lenses with ``ndim`` trailing unit axes (for (B, ...) coordinate arrays)."""
        shape = (-1,) + (1,) * ndim
        return Lens(*(np.asarray(v, dtype=np.float64).reshape(shape) for v in self._fields()))

    def _fields(self) -> tuple[np.ndarray, ...]:
        return (self.x0, self.y0, self.theta_e, self.q, self.angle, self.gamma1, self.gamma2)

    def _frame(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        c, s = np.cos(self.angle), np.sin(self.angle)
        dx, dy = x - self.x0, y - self.y0
        return dx, dy, c, s, c * dx + s * dy, -s * dx + c * dy

    def deflection(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Deflection (α_x, α_y) at image positions (x, y), in the coordinates' unit."""
        dx, dy, c, s, xp, yp = self._frame(x, y)
        ax, ay = sie_deflection_frame(xp, yp, self.q)
        ax, ay = self.theta_e * (c * ax - s * ay), self.theta_e * (s * ax + c * ay)
        return ax + self.gamma1 * dx + self.gamma2 * dy, ay + self.gamma2 * dx - self.gamma1 * dy

    def source_position(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The lens equation β = θ − α(θ)."""
        ax, ay = self.deflection(x, y)
        return x - ax, y - ay

    def convergence(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """κ at (x, y) (dimensionless; the external shear adds none)."""
        _, _, _, _, xp, yp = self._frame(x, y)
        return self.theta_e * sie_convergence_frame(xp, yp, self.q)

    def hessian(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Second derivatives (ψ_xx, ψ_xy, ψ_yy) of the lensing potential: 2κ t tᵀ + S."""
        dx, dy = x - self.x0, y - self.y0
        kappa = self.convergence(x, y)
        r2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            two_k = 2.0 * kappa / r2              # t tᵀ = [[dy², −dx dy], [−dx dy, dx²]] / r²
        return (two_k * dy * dy + self.gamma1, -two_k * dx * dy + self.gamma2,
                two_k * dx * dx - self.gamma1)

    def det_jacobian(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """det A = det(I − Hessian); the magnification is 1/det A."""
        hxx, hxy, hyy = self.hessian(x, y)
        return (1.0 - hxx) * (1.0 - hyy) - hxy * hxy

    def _polar(self, bx: np.ndarray, by: np.ndarray, phi: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """g(ϕ) and r(ϕ) of the 1-D image equation (module docstring) for sources (bx, by)."""
        e_x, e_y = np.cos(phi), np.sin(phi)
        ax, ay = self.deflection(self.x0 + e_x, self.y0 + e_y)
        ax = ax - self.gamma1 * e_x - self.gamma2 * e_y     # SIE part only: a(ϕ)
        ay = ay - self.gamma2 * e_x + self.gamma1 * e_y
        px, py = bx - self.x0 + ax, by - self.y0 + ay
        c2, s2 = e_x * e_x - e_y * e_y, 2.0 * e_x * e_y
        r = (px * e_x + py * e_y) / (1.0 - (self.gamma1 * c2 + self.gamma2 * s2))
        g = -px * e_y + py * e_x + r * (self.gamma2 * c2 - self.gamma1 * s2)
        return g, r

    def images(self, bx: np.ndarray, by: np.ndarray, *, n_angles: int = N_ANGLES,
               iterations: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Images of point sources (bx, by), one per lens (fields and sources of shape (B,)).

        Returns image x, y (float64 (B, MAX_IMAGES), NaN in unused slots) and the number of
        images (int64 (B,)); -1 marks a source on a point caustic of a round, unsheared lens
        (an Einstein ring: g(ϕ) vanishes for every ϕ). Brackets of g(ϕ) are searched on
        ``n_angles`` polar angles and refined by bisection; two images closer than the grid
        step in ϕ (a source within ~1e-6 θ_E of a fold caustic) may be missed as a pair. The
        SIE has no central image (its core is singular).
        """
        lens = self.expand(1)
        bx, by = np.asarray(bx, np.float64)[:, None], np.asarray(by, np.float64)[:, None]
        phi = np.linspace(0.0, 2.0 * np.pi, n_angles + 1)[None, :]
        g, r = lens._polar(bx, by, phi)
        scale = np.abs(g).max(axis=1) + np.abs(r).max(axis=1)
        ring = np.abs(g).max(axis=1) <= 1e-12 * scale
        cross = (np.sign(g[:, :-1]) * np.sign(g[:, 1:]) <= 0) & (g[:, :-1] != 0)
        cross &= ~ring[:, None]
        b_idx, k_idx = np.nonzero(cross)
        lo, hi = phi[0, k_idx], phi[0, k_idx + 1]
        one = Lens(*(np.broadcast_to(v[:, 0], (bx.shape[0],))[b_idx] for v in lens._fields()))
        sx, sy = bx[b_idx, 0], by[b_idx, 0]
        g_lo, _ = one._polar(sx, sy, lo)
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            g_mid, _ = one._polar(sx, sy, mid)
            left = np.sign(g_mid) == np.sign(g_lo)
            lo, g_lo = np.where(left, mid, lo), np.where(left, g_mid, g_lo)
            hi = np.where(left, hi, mid)
        root = 0.5 * (lo + hi)
        _, rr = one._polar(sx, sy, root)
        keep = rr > 0
        b_idx, root, rr = b_idx[keep], root[keep], rr[keep]
        n = np.bincount(b_idx, minlength=bx.shape[0]).astype(np.int64)
        slot = np.arange(b_idx.size) - np.searchsorted(b_idx, b_idx)
        ok = slot < MAX_IMAGES
        xs = np.full((bx.shape[0], MAX_IMAGES), np.nan)
        ys = np.full((bx.shape[0], MAX_IMAGES), np.nan)
        x0, y0 = np.broadcast_to(lens.x0[:, 0], n.shape), np.broadcast_to(lens.y0[:, 0], n.shape)
        xs[b_idx[ok], slot[ok]] = x0[b_idx[ok]] + rr[ok] * np.cos(root[ok])
        ys[b_idx[ok], slot[ok]] = y0[b_idx[ok]] + rr[ok] * np.sin(root[ok])
        n[ring] = -1
        return xs, ys, n

    def magnification(self, bx: np.ndarray, by: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Total magnification Σ|μ_i| over the images of point sources (bx, by) and the number of
        images (as :meth:`images`); an Einstein ring has infinite magnification."""
        xs, ys, n = self.images(bx, by)
        return self.total_magnification(xs, ys, n), n

    def total_magnification(self, xs: np.ndarray, ys: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Σ|μ_i| = Σ 1/|det A| over the images (xs, ys) ((B, k), NaN: none) found by
        :meth:`images`; inf where ``n`` is -1 (an Einstein ring)."""
        det = self.expand(1).det_jacobian(xs, ys)
        with np.errstate(divide="ignore"):
            mu = np.where(np.isnan(xs), 0.0, 1.0 / np.abs(det))
        return np.where(n < 0, np.inf, mu.sum(axis=1))
