"""The admin UI: server-rendered pages over the services, mounted at `/admin`."""

from moisson.admin.app import create_admin_app

__all__ = ["create_admin_app"]
