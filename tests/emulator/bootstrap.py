"""Creates tests/emulator/.venv from requirements.txt on first use.

Used by `run` and `test` with the system python3 (standard library only).
The venv is rebuilt when the stamp file does not hold the hash of the
requirements file and of the Python version.  An exclusive flock around the
check-and-build keeps two concurrent first starts (two test binaries starting
the emulator at once) from building into the same directory.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.path.join(HERE, ".venv")
REQUIREMENTS = os.path.join(HERE, "requirements.txt")
STAMP = os.path.join(VENV, ".requirements.sha256")
LOCK = os.path.join(HERE, ".venv.lock")


def _log(msg: str) -> None:
    # stdout is reserved for the `ready` line of the emulator.
    print(f"[emulator bootstrap] {msg}", file=sys.stderr, flush=True)


def wanted_stamp() -> str:
    h = hashlib.sha256()
    with open(REQUIREMENTS, "rb") as f:
        h.update(f.read())
    h.update(sys.version.encode())
    return h.hexdigest()


def venv_python() -> str:
    return os.path.join(VENV, "bin", "python")


def _current_stamp() -> str | None:
    try:
        with open(STAMP) as f:
            return f.read().strip()
    except OSError:
        return None


def _build(stamp: str) -> None:
    started = time.monotonic()
    _log(f"creating {VENV} (first use or requirements.txt changed)")
    shutil.rmtree(VENV, ignore_errors=True)
    install = ["install", "--disable-pip-version-check", "--no-input", "-q", "-r", REQUIREMENTS]
    made = subprocess.run([sys.executable, "-m", "venv", VENV], stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
    if made.returncode == 0:
        subprocess.run([venv_python(), "-m", "pip", *install], check=True, stdout=sys.stderr)
    else:
        # Debian's python3 without python3-venv has no ensurepip: make the venv
        # without pip and install into it with the system's pip (pip >= 22.3).
        _log(f"python -m venv failed ({made.stderr.strip().splitlines()[-1:]}); trying --without-pip")
        shutil.rmtree(VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", VENV], check=True, stdout=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "--python", venv_python(), *install],
                       check=True, stdout=sys.stderr)
    # Written last: a venv without a stamp is incomplete and gets rebuilt.
    with open(STAMP, "w") as f:
        f.write(stamp + "\n")
    _log(f"venv ready in {time.monotonic() - started:.1f}s")


def ensure_venv() -> str:
    """Returns the venv's python, building the venv first when needed."""
    stamp = wanted_stamp()
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _current_stamp() != stamp or not os.path.exists(venv_python()):
                _build(stamp)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return venv_python()


def ensure_venv_or_exit() -> str:
    """ensure_venv() for the `run` and `test` scripts: a failed build is one clear message, exit 1."""
    try:
        return ensure_venv()
    except (subprocess.CalledProcessError, OSError) as e:
        _log(f"could not create {VENV}: {e}")
        _log("it needs python3 with the venv module (or pip >= 22.3) and access to PyPI; delete .venv and retry")
        sys.exit(1)


if __name__ == "__main__":
    print(ensure_venv_or_exit())
