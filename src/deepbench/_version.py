"""The package version (its own module, so the dataset layer need not import the package face)."""

__version__ = "0.4.0.dev0"
