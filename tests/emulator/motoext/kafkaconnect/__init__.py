"""MSK Connect backend, served as moto service `kafkaconnect` (see models.py)."""

from .models import kafkaconnect_backends  # noqa: F401
