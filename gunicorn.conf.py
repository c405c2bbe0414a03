"""Gunicorn reads ./gunicorn.conf.py by itself when started from the repository root: the settings
are the package's own (rollout/gunicorn_conf.py, which an installed copy names as
`-c python:rollout.gunicorn_conf`)."""
from rollout.gunicorn_conf import *  # noqa: F403
from rollout.gunicorn_conf import TokenMaskingLogger, logger_class  # noqa: F401 (named for gunicorn)
