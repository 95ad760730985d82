"""Metrics for generative models against known truth (see each module for formulas and
references). Importing this package imports NumPy only; SciPy and scikit-learn load on use."""

from deepbench.metrics.classifier import c2st
from deepbench.metrics.curves import linearity_resolution
from deepbench.metrics.multi_dim import (
    Estimate,
    correlation,
    correlation_matrix_distance,
    fpd,
    frechet_distance,
    frechet_gaussian,
    kpd,
    mmd2_unbiased,
    prdc,
)
from deepbench.metrics.one_dim import (
    chi2_ndf,
    energy_distance,
    ks_statistic,
    separation_power,
    wasserstein1,
)
from deepbench.metrics.quantiles import (
    amplification,
    density_quantile_mse,
    equivalent_sample_size,
    expected_quantile_mse,
    quantile_edges,
    quantile_fractions,
    quantile_mse,
)

__all__ = ["Estimate", "amplification", "c2st", "chi2_ndf", "correlation",
           "correlation_matrix_distance", "density_quantile_mse", "energy_distance",
           "equivalent_sample_size", "expected_quantile_mse", "fpd", "frechet_distance",
           "frechet_gaussian", "kpd", "ks_statistic", "linearity_resolution", "mmd2_unbiased",
           "prdc", "quantile_edges", "quantile_fractions", "quantile_mse", "separation_power",
           "wasserstein1"]
