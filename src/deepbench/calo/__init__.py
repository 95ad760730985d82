"""Calorimetry: GFlash-style electromagnetic showers in CaloChallenge-style geometries.

Modules: :mod:`~deepbench.calo.materials` (the material table and mixture rules),
:mod:`~deepbench.calo.geometry` (presets, binning XML), :mod:`~deepbench.calo.gflash` (the
parameterisation), :mod:`~deepbench.calo.shower` (the ``calo.shower`` simulator).
"""
