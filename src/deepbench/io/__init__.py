"""Exporters and pictures of stored datasets."""
