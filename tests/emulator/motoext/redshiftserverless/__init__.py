"""Redshift Serverless backend, served as moto service `redshift-serverless` (see models.py)."""

from .models import redshiftserverless_backends  # noqa: F401
