"""Moisson: a standalone open-data harvesting service speaking udata's harvest API."""

__version__ = "0.1.0"
