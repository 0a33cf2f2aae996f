"""The `run` command and the control endpoint: ready line, signals, time scale, reset, health, bootstrap lock."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from conftest import EMULATOR_DIR, scale_for, start_emulator, unique


def test_ready_line_and_sigterm_via_run(tmp_path):
    emu = start_emulator(tmp_path, via_run=True)
    assert re.fullmatch(r"ready http://127\.0\.0\.1:(\d+)\n", emu.ready_line)
    assert int(emu.url.rsplit(":", 1)[1]) > 0  # --port 0 printed the real port
    assert requests.get(f"{emu.url}/_emulator/health", timeout=10).json()["status"] == "ok"
    assert emu.stop(signal.SIGTERM) == 0
    assert emu.proc.stdout.read() == ""  # nothing but the ready line on stdout
    assert "Traceback" not in emu.stderr()


def test_sigint_exits_cleanly(tmp_path):
    emu = start_emulator(tmp_path)
    emu.client("sts").get_caller_identity()
    assert emu.stop(signal.SIGINT) == 0
    assert "Traceback" not in emu.stderr()


def test_exit_on_stdin_eof(tmp_path):
    """With --exit-on-stdin-eof the server exits (0) once its stdin closes: a parent holding
    the pipe (the Rust test fixture) takes it down when it exits, however it exits."""
    err = tmp_path / "stderr"
    with open(err, "w") as stderr:
        proc = subprocess.Popen([os.path.join(EMULATOR_DIR, "run"), "--port", "0", "--exit-on-stdin-eof"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True)
    line = proc.stdout.readline()
    assert line.startswith("ready http://127.0.0.1:"), err.read_text()
    url = line.split(" ", 1)[1].strip()
    assert requests.get(f"{url}/_emulator/health", timeout=10).json()["status"] == "ok"
    time.sleep(0.3)
    assert proc.poll() is None  # stdin open: still serving
    proc.stdin.close()
    assert proc.wait(timeout=15) == 0
    assert "stdin closed" in err.read_text() and "Traceback" not in err.read_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_emulator/health", timeout=2)

    # Without the flag, a closed stdin changes nothing.
    proc = subprocess.Popen([sys.executable, os.path.join(EMULATOR_DIR, "server.py"), "--port", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = proc.stdout.readline().split(" ", 1)[1].strip()
        proc.stdin.close()
        time.sleep(0.5)
        assert proc.poll() is None
        assert requests.get(f"{url}/_emulator/health", timeout=10).status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def test_default_time_scale_and_bad_options(tmp_path):
    emu = start_emulator(tmp_path)
    try:
        assert emu.control("GET", "health")["time_scale"] == 0.002
    finally:
        emu.stop()
    result = subprocess.run([sys.executable, os.path.join(EMULATOR_DIR, "server.py"), "--time-scale", "-1"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""


def test_health_and_time_scale(emulator):
    health = emulator.control("GET", "health")
    assert health["moto_version"] == "5.2.5" and health["time_scale"] == 0
    assert emulator.control("POST", "time-scale", json={"time_scale": 0.5}) == {"time_scale": 0.5}
    assert emulator.control("GET", "time-scale") == {"time_scale": 0.5}
    response = requests.post(f"{emulator.url}/_emulator/time-scale", json={"time_scale": -1}, timeout=10)
    assert response.status_code == 400
    assert requests.get(f"{emulator.url}/_emulator/nope", timeout=10).status_code == 404


def test_time_scale_zero_is_immediate_and_changes_apply_in_flight(emulator, network):
    rs = emulator.client("redshift-serverless")
    ns = unique("ns")
    rs.create_namespace(namespaceName=ns)
    wg = unique("wg")
    emulator.set_time_scale(1)  # real duration: 6 minutes
    assert rs.create_workgroup(workgroupName=wg, namespaceName=ns)["workgroup"]["status"] == "CREATING"
    time.sleep(0.2)
    assert rs.get_workgroup(workgroupName=wg)["workgroup"]["status"] == "CREATING"
    assert any(t["label"].startswith("workgroup create") for t in emulator.control("GET", "transitions"))
    emulator.set_time_scale(0)  # transitions in flight finish at once
    assert rs.get_workgroup(workgroupName=wg)["workgroup"]["status"] == "AVAILABLE"


def test_transitions_are_wall_clock_not_describe_counts(emulator, network):
    rs = emulator.client("redshift-serverless")
    ns = unique("ns")
    rs.create_namespace(namespaceName=ns)
    wg = unique("wg")
    emulator.set_time_scale(scale_for("redshiftserverless.workgroup.create", 0.4))
    started = time.time()
    rs.create_workgroup(workgroupName=wg, namespaceName=ns)
    for _ in range(20):  # many describes do not speed it up
        assert rs.get_workgroup(workgroupName=wg)["workgroup"]["status"] == "CREATING"
        if time.time() - started > 0.3:
            break
    time.sleep(max(0, 0.45 - (time.time() - started)))  # no describe at all in between
    assert rs.get_workgroup(workgroupName=wg)["workgroup"]["status"] == "AVAILABLE"


def test_reset(tmp_path):
    emu = start_emulator(tmp_path, "--time-scale", "1")
    try:
        s3 = emu.client("s3")
        s3.create_bucket(Bucket="before-reset")
        emu.control("POST", "faults", json={"latency": {"ms": 10}})
        emu.client("redshift-serverless").create_namespace(namespaceName="resetme")
        emu.client("redshift-serverless").update_namespace(namespaceName="resetme", logExports=["userlog"])
        assert emu.control("GET", "transitions")
        assert emu.control("POST", "reset")["reset"] is True
        assert s3.list_buckets()["Buckets"] == []
        assert emu.control("GET", "faults")["latency"]["ms"] == 0
        assert emu.control("GET", "transitions") == []
        assert [e["operation"] for e in emu.control("GET", "requests")] == ["ListBuckets"]
        assert emu.control("GET", "health")["time_scale"] == 1  # kept
    finally:
        emu.stop()


def test_concurrent_first_start_builds_the_venv_once(tmp_path):
    """Two bootstraps at once on a fresh directory: one builds, the other waits on the flock."""
    target = tmp_path / "emu"
    target.mkdir()
    shutil.copy(os.path.join(EMULATOR_DIR, "bootstrap.py"), target / "bootstrap.py")
    (target / "requirements.txt").write_text("# nothing to install\n")
    command = [sys.executable, "-c", "import bootstrap; print(bootstrap.ensure_venv())"]
    procs = [subprocess.Popen(command, cwd=target, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    stderr = "".join(err for _, err in outputs)
    assert stderr.count("creating") == 1, stderr
    assert (target / ".venv" / ".requirements.sha256").exists()
    # a changed requirements file rebuilds
    (target / "requirements.txt").write_text("# still nothing, but different\n")
    again = subprocess.run(command, cwd=target, capture_output=True, text=True, timeout=120)
    assert "creating" in again.stderr


@pytest.mark.parametrize("path", ["run", "test"])
def test_scripts_are_executable(path):
    assert os.access(os.path.join(EMULATOR_DIR, path), os.X_OK)
