"""Inference against known truth: exact likelihoods, reference posteriors, coverage diagnostics
for posterior estimators, and difficulty ladders."""
