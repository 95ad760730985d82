"""Classifier two-sample test (C2ST) with scikit-learn's histogram gradient boosting.

Needs the ``eval`` extra (scikit-learn). The two samples are balanced (each cut to the smaller
size), labelled 1 (``x``, generated) and 0 (``y``, truth), shuffled and split ½ train, ¼
calibration, ¼ test. The classifier is trained on the train part; a one-feature logistic
regression on its logit (Platt scaling) is fitted on the calibration part; AUC and the binary
cross-entropy BCE (nats) are measured on the test part only.

Notes
-----
For balanced classes the optimal classifier's expected BCE is ln 2 − JSD(P, Q) (JSD in nats), so
JSD/ln 2 ≈ 1 − BCE/ln 2 (in [0, 1]; a value slightly below 0 is a statistical fluctuation of an
indistinguishable pair). AUC 0.5 means indistinguishable. The AUC's standard error is the
Hanley–McNeil formula for AUC = 0.5, √((n₁ + n₂ + 1)/(12 n₁ n₂)).

References: Lopez-Paz & Oquab, ICLR 2017 (arXiv:1610.06545); Krause et al., CaloChallenge
(arXiv:2410.21611); Platt, *Advances in Large Margin Classifiers* (1999).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from deepbench.errors import DeepBenchError
from deepbench.metrics.multi_dim import as_matrix


def _sklearn():  # type: ignore[no-untyped-def]
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DeepBenchError("the classifier two-sample test needs scikit-learn: "
                             "pip install 'deepbench[eval]'") from exc
    return HistGradientBoostingClassifier, LogisticRegression, roc_auc_score


def c2st(x: ArrayLike, y: ArrayLike, *, rng: np.random.Generator | None = None,
         max_iter: int = 200) -> dict[str, float]:
    """AUC, calibrated BCE (nats), JSD = 1 − BCE/ln 2 and the AUC's null standard error of a
    classifier telling ``x`` from ``y``; keys ``auc``, ``bce``, ``jsd``, ``auc_error``, ``n_test``."""
    hgb, logistic, roc_auc = _sklearn()
    a = as_matrix(x, "x")
    b = as_matrix(y, "y", a.shape[1])
    rng = np.random.default_rng(0) if rng is None else rng
    n = min(len(a), len(b))
    if n < 8:
        raise DeepBenchError(f"the classifier test needs at least 8 samples per side, got {n}")
    a, b = a[rng.permutation(len(a))[:n]], b[rng.permutation(len(b))[:n]]
    data = np.concatenate([a, b])
    label = np.concatenate([np.ones(n), np.zeros(n)])
    order = rng.permutation(2 * n)
    data, label = data[order], label[order]
    i_cal, i_test = n, n + n // 2
    seed = int(rng.integers(2**31 - 1))
    clf = hgb(max_iter=max_iter, early_stopping=True, validation_fraction=0.2,
              random_state=seed).fit(data[:i_cal], label[:i_cal])
    logit = clf.decision_function(data[i_cal:])[:, None]
    platt = logistic(C=1e6).fit(logit[: i_test - i_cal], label[i_cal:i_test])
    p = np.clip(platt.predict_proba(logit[i_test - i_cal:])[:, 1], 1e-12, 1 - 1e-12)
    t = label[i_test:]
    bce = float(-np.mean(t * np.log(p) + (1 - t) * np.log1p(-p)))
    n1, n0 = float(t.sum()), float(len(t) - t.sum())
    return {"auc": float(roc_auc(t, p)), "bce": bce, "jsd": 1.0 - bce / np.log(2.0),
            "auc_error": float(np.sqrt((n1 + n0 + 1) / (12 * n1 * n0))), "n_test": float(len(t))}
