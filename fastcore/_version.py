"""The package version, read by setup tooling as text."""

__version__ = "0.1.0.dev0"
