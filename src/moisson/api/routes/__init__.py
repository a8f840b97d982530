"""Routers of the API, one module per resource. Handlers resolve dependencies and call one
service function; presenting and masking the result is all they add."""
