"""``medtrinity view``: a local web app to browse, filter and review a run's rows (127.0.0.1 by default)."""
