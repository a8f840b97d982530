"""Use cases shared by the API, the CLI, the admin UI and the tasks."""
