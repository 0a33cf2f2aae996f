"""Secrets Manager, as AWS behaves.

- RDS-managed master secret content: moto 5.2.5 writes {"username": "admin",
  "password": "P@55w0rd!"} into every `rds!cluster-…` secret, whatever
  MasterUsername was.  AWS stores the real master username and a generated
  password; a tool that reads the secret to connect must see the username it
  asked for.
- CreateSecret with the name of a secret scheduled for deletion: AWS answers
  InvalidRequestException ("…already scheduled for deletion"), the signal to
  RestoreSecret it; moto answers ResourceExistsException, as for a live one.
"""

from __future__ import annotations

import json
import secrets
import string

from moto.rds.models import MasterUserSecret
from moto.secretsmanager.exceptions import InvalidRequestException
from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend


def _generate_secret_string(self: MasterUserSecret) -> str:
    username = getattr(self.resource, "master_username", None) or "admin"
    password = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(28))
    return json.dumps({"username": username, "password": password})


def patch_master_secret_username() -> None:
    """rds!cluster-… secrets hold the cluster's MasterUsername and a random password."""
    MasterUserSecret._generate_secret_string = _generate_secret_string


def patch_create_over_scheduled_deletion() -> None:
    """CreateSecret on a name scheduled for deletion: InvalidRequestException."""
    original = SecretsManagerBackend.create_secret

    def create_secret(self: SecretsManagerBackend, name: str, *args: object, **kwargs: object) -> str:
        existing = self.secrets.get(name)
        if isinstance(existing, FakeSecret) and existing.is_deleted():
            raise InvalidRequestException(
                "You can't create this secret because a secret with this name is already scheduled for deletion."
            )
        return original(self, name, *args, **kwargs)

    SecretsManagerBackend.create_secret = create_secret


PATCHES = [patch_master_secret_username, patch_create_over_scheduled_deletion]


def apply() -> None:
    for patch in PATCHES:
        patch()
