"""Running the app for years: the worker, backups, health checks (above every domain)."""
