"""Reproducibility, audit trail, outputs that cannot escape, interrupted runs, no network."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time

import great_expectations
import pytest

from pexaudit import __version__
from pexaudit.core.audit import VOLATILE_KEYS, audit, results
from pexaudit.core.checks import SUITE_ROLES, load_suite_json
from pexaudit.errors import InputError
from pexaudit.run.execute import run_audit, safe_child

from .conftest import SAMPLE


def test_two_runs_differ_only_in_volatile_keys(checker):
    first, second = results(audit(SAMPLE, checker)), results(audit(SAMPLE, checker))
    assert VOLATILE_KEYS == ("run",)
    assert {k: v for k, v in first.items() if k not in VOLATILE_KEYS} == {
        k: v for k, v in second.items() if k not in VOLATILE_KEYS
    }


def test_results_record_inputs_and_versions(checker):
    res = results(audit(SAMPLE, checker))
    by_role = {i["role"]: i for i in res["inputs"]}
    for role, name in (("convention", "convention.yaml"), ("payroll", "paie.xlsx"), ("expenses", "depenses.xlsx")):
        assert by_role[role]["path"] == name
        assert by_role[role]["sha256"] == hashlib.sha256((SAMPLE / name).read_bytes()).hexdigest()
    assert by_role["payroll"]["rows"] == 15 and by_role["expenses"]["rows"] == 19
    assert res["tool_version"] == __version__
    assert res["gx_version"] == great_expectations.__version__
    assert res["suites"] == {
        load_suite_json(role)["name"]: load_suite_json(role)["meta"]["suite_version"] for role in SUITE_ROLES
    }


@pytest.mark.parametrize("name", ["../evil", "..", "a/../../b", "/etc", ""])
def test_output_folder_never_escapes(tmp_path, name):
    with pytest.raises(InputError):
        safe_child(tmp_path, name)
    assert safe_child(tmp_path, "cd35-2024-pex") == (tmp_path / "cd35-2024-pex").resolve()


@pytest.mark.slow
@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_interrupted_run_leaves_no_finished_looking_report(tmp_path, monkeypatch, error):
    import pexaudit.run.execute as run

    def boom(*args, **kwargs):
        raise error("interrupted while exporting")

    monkeypatch.setattr(run, "export_html", boom)
    with pytest.raises(error):
        run_audit(SAMPLE, tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither OUT/<id> nor a .partial folder


GUARD = textwrap.dedent(
    """
    # Installed by test_trail.py: any attempt to reach another machine is logged and refused.
    import os, socket

    _log = os.environ["PEXAUDIT_NET_LOG"]

    def _refuse(what):
        with open(_log, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {what}\\n")
        raise OSError("network disabled by the test")

    _connect = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            _refuse(f"connect {address!r}")
        return _connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in (None, "localhost", "127.0.0.1", "::1", ""):
            _refuse(f"getaddrinfo {host!r}")
        return _getaddrinfo(host, *args, **kwargs)

    _getaddrinfo = socket.getaddrinfo
    socket.socket.connect = connect
    socket.getaddrinfo = getaddrinfo
    """
)


def _guarded_env(tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log = tmp_path / "net.log"
    return {**os.environ, "PYTHONPATH": str(guard), "PEXAUDIT_NET_LOG": str(log)}, log


def test_the_network_guard_catches_an_attempt(tmp_path):
    env, log = _guarded_env(tmp_path)
    code = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError:\n    pass"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert "192.0.2.1" in log.read_text()


@pytest.mark.slow
def test_audit_sends_nothing_and_does_not_wait_without_network(tmp_path):
    """Every Python process (CLI and kernel) refuses outside connections; the audit neither
    tries one nor waits. Where the machine allows it, the run is also in a network namespace
    with no interface but loopback (``unshare -n``)."""
    env, log = _guarded_env(tmp_path)
    env.pop("GX_ANALYTICS_ENABLED", None)  # pexaudit must switch it off itself
    command = [sys.executable, "-m", "pexaudit", "audit", str(SAMPLE), "--out", str(tmp_path / "out")]
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        command = ["unshare", "-n", *command]
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    assert not log.exists(), log.read_text()
    assert json.loads((tmp_path / "out" / "cd35-2024-pex" / "results.json").read_text())["verdict"] == "reversement"
    assert elapsed < 60  # a run takes ~7 s here; a network timeout would add tens of seconds
