"""The stars→HI example runs end to end (shrunk), keeps noisy/clean pairs and splits, and `deepbench
show` draws each galaxy's domains side by side, one column per domain in declared order."""

from __future__ import annotations

import struct

import numpy as np
from conftest import EXAMPLES

import deepbench
from deepbench.io import domains_gallery
from deepbench.io.gallery import gallery


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(24)
    return struct.unpack(">II", head[16:24])


def test_stars_to_hi_example_has_pairs_splits_and_a_side_by_side_gallery(tmp_path):
    out = deepbench.generate(EXAMPLES / "stars_to_hi.yaml", tmp_path / "d.h5",
                             overrides=["n=40", "chunk_size=20"])
    with deepbench.load(out) as ds:
        assert sorted(ds.outputs) == ["hi", "stars"]
        assert ds.outputs["hi"].attrs["unit"] == "Msun/pc^2"
        assert ds.outputs["stars"].attrs["unit"] == "Lsun/pc^2"
        for d, sigma in (("stars", 2.0), ("hi", 0.3)):
            resid = ds.outputs[d][()].astype(np.float64) - ds.clean[d][()]
            assert abs(resid.std() / sigma - 1) < 0.05, d
        sizes = {k: len(v[()]) for k, v in ds.splits.items()}
        assert sizes == {"train": 32, "val": 4, "test": 4}
        assert {"inclination", "angle", "halo_mass", "gas_fraction"} <= set(ds.labels)
    png = gallery(out, tmp_path / "g.png", count=3)
    w, h = png_size(png)                      # 2 columns × 3 rows of (1.9 × 2.0 in) at 110 dpi
    assert (w, h) == (round(2 * 1.9 * 110), round((3 * 2.0 + 0.3) * 110))
    one = gallery(out, tmp_path / "one.png", count=3, output="hi")   # --output: the usual grid
    assert png_size(one) != (w, h)


def test_domains_keep_their_declared_order_and_the_stretch_is_monotone():
    spec = {"classes": [{"simulator": "astro.galaxy_domains",
                         "config": {"domains": ["stars", "hi", "dm"]}}]}
    assert domains_gallery.wanted(spec)
    assert not domains_gallery.wanted({"classes": [{"simulator": "astro.sersic"}]})
    assert domains_gallery.order(spec, ["dm", "hi", "stars", "x"]) == ["stars", "hi", "dm", "x"]
    img = np.linspace(-2, 100, 52).reshape(1, 4, 13)
    s = domains_gallery.stretch(img).ravel()
    assert np.all(np.diff(s) > 0)
    np.testing.assert_array_equal(np.sign(s), np.sign(img.ravel()))   # 0 stays 0, signs kept
