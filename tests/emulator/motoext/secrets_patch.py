"""RDS-managed master secret content, as AWS writes it.

moto 5.2.5 writes {"username": "admin", "password": "P@55w0rd!"} into every
`rds!cluster-…` secret, whatever MasterUsername was.  AWS stores the real
master username and a generated password; a tool that reads the secret to
connect must see the username it asked for.
"""

from __future__ import annotations

import json
import secrets
import string

from moto.rds.models import MasterUserSecret


def _generate_secret_string(self: MasterUserSecret) -> str:
    username = getattr(self.resource, "master_username", None) or "admin"
    password = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(28))
    return json.dumps({"username": username, "password": password})


def patch_master_secret_username() -> None:
    """rds!cluster-… secrets hold the cluster's MasterUsername and a random password."""
    MasterUserSecret._generate_secret_string = _generate_secret_string


PATCHES = [patch_master_secret_username]


def apply() -> None:
    for patch in PATCHES:
        patch()
