"""FPD, KPD, PRDC and the correlation-matrix distance against closed forms and direct
evaluations of their definitions written here."""

import numpy as np
import pytest
from scipy import linalg

from deepbench.errors import SpecError
from deepbench.metrics import (
    correlation_matrix_distance,
    fpd,
    frechet_gaussian,
    kpd,
    mmd2_unbiased,
    prdc,
)

def _gaussians(d, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    c1, c2 = a @ a.T / d + 0.5 * np.eye(d), b @ b.T / d + 0.5 * np.eye(d)
    return np.zeros(d), c1, np.full(d, 0.5), c2

def test_frechet_gaussian_equals_scipy_sqrtm_formula():
    m1, c1, m2, c2 = _gaussians(6, 0)
    ref = np.sum((m1 - m2) ** 2) + np.trace(c1 + c2 - 2 * linalg.sqrtm(c1 @ c2).real)
    assert frechet_gaussian(m1, c1, m2, c2) == pytest.approx(ref, rel=1e-10)
    assert frechet_gaussian(m1, c1, m1, c1) == pytest.approx(0.0, abs=1e-12)

def test_fpd_within_2_percent_of_closed_form_d5():
    # The Must-show at 50k each runs in benchmarks/metrics.py; 30k here keeps the suite fast.
    m1, c1, m2, c2 = _gaussians(5, 1)
    truth = frechet_gaussian(m1, c1, m2, c2)
    rng = np.random.default_rng(7)
    n = 30_000
    x = m1 + rng.standard_normal((n, 5)) @ np.linalg.cholesky(c1).T
    y = m2 + rng.standard_normal((n, 5)) @ np.linalg.cholesky(c2).T
    est = fpd(x, y, rng=rng)
    assert est.value == pytest.approx(truth, rel=0.02)
    assert 0 < est.error < 0.02 * truth

def test_fpd_of_one_distribution_is_near_zero():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(20_000, 4)), rng.normal(size=(20_000, 4))
    est = fpd(x, y, rng=rng)
    assert abs(est.value) < 5e-3 and est.error > 0

def test_mmd2_equals_direct_definition():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(700, 5)), rng.normal(0.2, 1.1, size=(500, 5))
    k = lambda a, b: (a @ b.T / 5 + 1.0) ** 4  # noqa: E731
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    ref = ((kxx.sum() - np.trace(kxx)) / (700 * 699) + (kyy.sum() - np.trace(kyy)) / (500 * 499)
           - 2 * kxy.mean())
    assert mmd2_unbiased(x, y) == pytest.approx(ref, rel=1e-5)

def test_kpd_of_one_distribution_within_three_errors_of_zero():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(20_000, 8)), rng.normal(size=(20_000, 8))
    est = kpd(x, y, batch_size=2000, rng=rng)
    assert est.error > 0 and abs(est.value) < 3 * est.error
    shifted = kpd(x + np.r_[0.3, np.zeros(7)], y, batch_size=2000, rng=rng)
    assert shifted.value > 3 * shifted.error

def _prdc_direct(fake, real, k):
    """The definitions of Naeem et al. (2020), one pair at a time."""
    dist = lambda a, b: float(np.sqrt(np.sum((a - b) ** 2)))  # noqa: E731
    def radius(pts, i):
        return sorted(dist(pts[i], p) for j, p in enumerate(pts) if j != i)[k - 1]
    r_real = [radius(real, i) for i in range(len(real))]
    r_fake = [radius(fake, j) for j in range(len(fake))]
    prec = np.mean([any(dist(f, real[i]) < r_real[i] for i in range(len(real))) for f in fake])
    rec = np.mean([any(dist(r, fake[j]) < r_fake[j] for j in range(len(fake))) for r in real])
    dens = sum(dist(f, real[i]) < r_real[i] for f in fake for i in range(len(real))) / (
        k * len(fake))
    cov = np.mean([min(dist(real[i], f) for f in fake) < r_real[i] for i in range(len(real))])
    return {"precision": prec, "recall": rec, "density": dens, "coverage": cov}

def test_prdc_hand_checked_case():
    # Truth on a line at 0, 1, 2, 3 (k = 1: every radius is 1); generated at 0.5, 10, 2.9.
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [10.0], [2.9]])
    got = prdc(fake, real, k=1)
    # precision: 0.5 is within 1 of 0 and 1; 2.9 within 1 of 2 and 3; 10 of none -> 2/3.
    # density: (2 + 0 + 2) / (1 * 3) = 4/3.
    # fake radii (k = 1): 0.5 -> 2.4, 10 -> 7.1, 2.9 -> 2.4; recall: every truth point is within
    # its ball of some fake point -> 1. coverage: nearest fake to 0 (0.5), 1 (0.5), 2 (2.9: 0.9),
    # 3 (2.9: 0.1), all < 1 -> 1.
    assert got == pytest.approx({"precision": 2 / 3, "recall": 1.0, "density": 4 / 3,
                                 "coverage": 1.0})
    assert got == pytest.approx(_prdc_direct(fake, real, 1))

def test_prdc_k5_equals_direct_definitions():
    rng = np.random.default_rng(6)
    real, fake = rng.normal(size=(60, 3)), rng.normal(0.5, 1.3, size=(45, 3))
    assert prdc(fake, real, k=5) == pytest.approx(_prdc_direct(fake, real, 5))

def test_correlation_matrix_distance():
    rng = np.random.default_rng(8)
    z = rng.normal(size=(50_000, 2))
    x = np.stack([z[:, 0], 0.8 * z[:, 0] + 0.6 * z[:, 1]], 1)      # ρ = 0.8
    r1, r2 = np.array([[1, 0.8], [0.8, 1]]), np.eye(2)
    expected = 1 - np.trace(r1 @ r2) / (np.linalg.norm(r1) * np.linalg.norm(r2))
    assert correlation_matrix_distance(x, z) == pytest.approx(expected, abs=3e-3)
    assert correlation_matrix_distance(x, x) == pytest.approx(0.0, abs=1e-12)

def test_multi_dim_errors_name_the_problem():
    x = np.zeros((10, 3))
    with pytest.raises(SpecError, match=r"y: got '2 features'; expected 3 features"):
        fpd(x, np.zeros((10, 2)))
    bad = np.ones((10, 3))
    bad[4, 1] = np.nan
    with pytest.raises(SpecError, match=r"x: got '1 samples with NaN or inf'"):
        kpd(bad, x)
    with pytest.raises(SpecError, match=r"k: got 10"):
        prdc(x, x + 1.0, k=10)

def test_prdc_pairs_iterated_once():
    # the blocked evaluation gives the same counts for any block boundary
    rng = np.random.default_rng(9)
    real, fake = rng.normal(size=(3000, 2)), rng.normal(size=(2500, 2))
    a = prdc(fake, real)
    assert all(0 <= a[k] <= 1 for k in ("precision", "recall", "coverage"))
    assert a["precision"] > 0.9 and a["coverage"] > 0.9 and a["density"] == pytest.approx(1, abs=0.1)
