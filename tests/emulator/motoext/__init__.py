"""Extends moto 5.2.5 in-process, without touching site-packages.

register() must run before the first request:
  * moto's dispatcher picks a backend from the SigV4 service name: it builds
    the host `<service>.<region>.amazonaws.com` and matches it against
    `moto.backend_index.backend_url_patterns`.  We insert patterns for
    kafkaconnect and redshift-serverless into that same list object (the
    dispatcher holds a reference to it).
  * moto then imports `moto.<name without dashes>` and reads
    `<name>_backends`; aliases in sys.modules make our packages importable
    under those names.
  * the *_patch modules fill moto's gaps; see each module's docstring.
    The Resource Groups Tagging API (signing name `tagging`) needs no
    pattern of ours: moto's own `tagging.<region>.amazonaws.com` pattern
    routes it to moto's resourcegroupstaggingapi backend, which lists the
    resources of every TaggableResourcesMixin backend, ours included.
    restxml_patch fixes a wire format rather than a behaviour: it adds a
    filter to RESPONSE_FILTERS, which emulator/app.py applies to moto's
    responses.

The package name starts with "moto" on purpose: moto derives a service from
`cls.__module__.split(".")[1]` (model registry, urls module, error shapes),
so `motoext.kafkaconnect.models` reads as service "kafkaconnect".
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

_registered = False

# Filters of moto's responses, applied in order by emulator/app.py to every
# AWS request moto answered (not to injected faults):
#     filter(info, status, headers, body) -> (headers, body)
# `info` is the emulator.requestinfo.RequestInfo (service, region, operation).
# Patches that fix a wire format (restxml_patch) append to it.
RESPONSE_FILTERS: list[Callable[[Any, int, list[tuple[str, str]], bytes], tuple[list[tuple[str, str]], bytes]]] = []

EXTRA_SERVICES = {
    # moto package name: (our package, host pattern)
    "kafkaconnect": ("motoext.kafkaconnect", r"https?://kafkaconnect\.(.+)\.amazonaws\.com"),
    "redshiftserverless": ("motoext.redshiftserverless", r"https?://redshift-serverless\.(.+)\.amazonaws\.com"),
}


def register() -> None:
    global _registered
    if _registered:
        return
    import importlib

    import moto
    import moto.backend_index as backend_index

    for name, (package, pattern) in EXTRA_SERVICES.items():
        module = importlib.import_module(package)
        sys.modules[f"moto.{name}"] = module
        setattr(moto, name, module)
        service = "redshift-serverless" if name == "redshiftserverless" else name
        backend_index.backend_url_patterns.insert(0, (service, re.compile(pattern)))

    from . import (
        ec2_patch,
        kafka_patch,
        rds_patch,
        rdsdata_patch,
        restxml_patch,
        s3_patch,
        secrets_patch,
        tagging_patch,
    )

    for module in (kafka_patch, ec2_patch, rds_patch, rdsdata_patch, secrets_patch, restxml_patch, s3_patch,
                   tagging_patch):
        module.apply()
    _registered = True


def reset() -> None:
    """Resets moto (every backend, ours included) and our own state."""
    from moto.moto_api._internal.models import moto_api_backend

    from . import rdsdata_patch
    from .clock import CLOCK

    CLOCK.reset()
    moto_api_backend.reset()
    rdsdata_patch.reset()
