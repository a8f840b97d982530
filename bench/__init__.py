"""Benchmarks and the synthetic catalogs they harvest (importable by tests as `bench.*`)."""
