"""A real pycsw 2.6 server for the tests and the CSW benchmark (its own virtualenv)."""
