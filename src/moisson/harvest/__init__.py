"""The harvest engine: orchestration only, whatever the backend."""
