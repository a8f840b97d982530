"""Pure domain types shared by every layer: no SQLAlchemy, FastAPI, Celery or httpx here."""
