"""The GFlash parameterisation: containment, (ln T, ln α) statistics, radial CDF."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from deepbench.calo import gflash
from deepbench.calo.geometry import WSI_DS
from deepbench.calo.materials import MATERIALS

PBWO4 = MATERIALS["PbWO4"]


def test_average_profile_containment_of_pbwo4_in_25_x0():
    c = gflash.containment(np.array([1.0, 100.0]), 25.0, PBWO4)
    assert c[0] == pytest.approx(0.999, abs=0.001)
    assert c[1] == pytest.approx(0.993, abs=0.001)
    t, _ = gflash.average_profile(np.array([1.0, 10.0, 100.0]), PBWO4)
    assert t == pytest.approx([3.78, 6.09, 8.39], abs=0.01)


@pytest.mark.parametrize("medium, energy", [(PBWO4, 50.0), (WSI_DS, 200.0)])
def test_sampled_log_t_alpha_reproduce_published_moments(medium, energy):
    rng = np.random.default_rng(5)
    n = 200_000
    e = np.full(n, energy)
    dist = gflash.individual(e, medium)
    t, a, b = gflash.draw_t_alpha(dist, *rng.standard_normal((2, n)))
    ly = np.log(energy * 1e3 / medium.ec_mev)
    if medium.sampling:   # GFlash sampling: T_hom − 0.55/F_S − 0.69(1 − ê), α_hom − 0.476/F_S
        mu_t = np.log(ly - 0.812 - 0.55 / medium.f_s - 0.69 * (1 - medium.e_hat))
        mu_a = np.log(0.81 + (0.458 + 2.26 / medium.z) * ly - 0.476 / medium.f_s)
        s_t, s_a, rho = 1 / (-2.5 + 1.25 * ly), 1 / (-0.82 + 0.79 * ly), 0.784 - 0.023 * ly
    else:
        mu_t, mu_a = np.log(ly - 0.812), np.log(0.81 + (0.458 + 2.26 / medium.z) * ly)
        s_t, s_a, rho = 1 / (-1.4 + 1.26 * ly), 1 / (-0.58 + 0.86 * ly), 0.705 - 0.023 * ly
    assert (t > 1.0).all() and (a > 1.1).all()   # the clamps are inactive at these energies
    lt, la = np.log(t), np.log(a)
    assert lt.mean() == pytest.approx(mu_t, abs=4 * s_t / np.sqrt(n))
    assert la.mean() == pytest.approx(mu_a, abs=4 * s_a / np.sqrt(n))
    assert lt.std() == pytest.approx(s_t, rel=0.01)
    assert la.std() == pytest.approx(s_a, rel=0.01)
    assert np.corrcoef(lt, la)[0, 1] == pytest.approx(rho, abs=0.01)
    assert b == pytest.approx((a - 1) / t)


def test_clamps_hold_at_low_energy():
    rng = np.random.default_rng(6)
    dist = gflash.individual(np.full(50_000, 1.0), WSI_DS)
    t, a, _ = gflash.draw_t_alpha(dist, *rng.standard_normal((2, 50_000)))
    assert t.min() == 1.0 and a.min() >= 1.1


def test_radial_samples_follow_the_two_component_cdf():
    """Inverse-CDF radii of each component, mixed with weight p, pass a KS test against the CDF."""
    rng = np.random.default_rng(11)
    rc, rt, p = (float(x) for x in gflash.radial(np.array(20.0), np.array(0.8), PBWO4))
    n = 20_000
    u = rng.random(n)
    radius = np.where(rng.random(n) < p, rc, rt) * np.sqrt(u / (1 - u))
    result = stats.kstest(radius, lambda r: gflash.radial_cdf(r, rc, rt, p))
    assert result.pvalue > 0.01
    assert 0 < p < 1 and rc < rt


def test_spot_counts():
    assert gflash.spot_count(np.array(1.0), PBWO4) == pytest.approx(93 * np.log(PBWO4.z))
    assert gflash.spot_count(np.array(10.0), WSI_DS) == pytest.approx(
        10.3 * np.log(WSI_DS.z) * 10 ** 0.959)
