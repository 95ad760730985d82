"""Astronomy family: stars and galaxies as exact pixel integrals (``astro.star``, ``astro.sersic``).

Conventions as everywhere in DeepBench: images ``[y, x]``, pixel centres at integer coordinates,
pixel values are integrals over the pixel, positions ``cx``, ``cy`` offsets from the image centre,
angles from +x towards +y. Fluxes are in counts (ADU); a detector gain converts them to electrons.
"""
