"""Toy densities with exact log-density (and CDF where one exists), for density benchmarks."""
