"""Shapes family: anti-aliased geometric shapes and multi-shape scenes (``shapes.*``)."""
