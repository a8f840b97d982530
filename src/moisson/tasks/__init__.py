"""Background work: the in-process worker, Celery tasks and the scheduler loop."""
