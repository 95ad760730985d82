"""Stores: where a dataset's chunks are written and how they become one dataset (HDF5 today)."""
