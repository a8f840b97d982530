"""Persistence: the only package that imports `sqlalchemy.orm`."""
