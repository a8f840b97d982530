"""Queries, one module per aggregate. Repositories add and flush; they never commit."""
