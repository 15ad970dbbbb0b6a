"""Starting and stopping a real `honnin serve` for the interoperability tests (test support)."""

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.environ.get("HONNIN_BINARY", str(ROOT / ".build" / "debug" / "honnin"))


def honnin(*args, input=None):
    return subprocess.run([BINARY, *args], check=True, capture_output=True, text=True, input=input).stdout


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(data, port, *extra):
    """Runs `honnin serve` on `data` and `port`; returns (process, log path) once it listens."""
    base = f"http://localhost:{port}"
    # Logs go to a file: a pipe nobody drains would fill up and block the server.
    log_path = pathlib.Path(data) / "server.log"
    log = open(log_path, "a+")
    start_at = log.tell()
    proc = subprocess.Popen(
        [BINARY, "serve", "--data-dir", str(data), "--port", str(port), "--log-format", "json", "--public-url", base, *extra],
        stderr=log, text=True)
    deadline = time.time() + 30
    up = False
    while time.time() < deadline and not up and proc.poll() is None:
        time.sleep(0.05)
        log.seek(start_at)
        up = any(json.loads(line).get("msg") == "listening" for line in log.read().splitlines() if line.startswith("{"))
    assert up, "server did not start: " + log_path.read_text()
    return proc, log_path


def start_again(server, *extra):
    """Restarts a server on the same data directory and port (after a stop or a kill)."""
    proc, _ = launch(server["data"], server["port"], *extra)
    return dict(server, proc=proc)


def start(prefix, *extra, before=None):
    """Starts a server in a new data directory (after `before(data)` if given) on a free port,
    with `--public-url http://localhost:PORT` (browsers need a host name, not an address), and an
    API key. Returns a dict: data, base, port, token, log, proc."""
    data = tempfile.mkdtemp(prefix=prefix)
    if before:
        before(data)
    port = free_port()
    base = f"http://localhost:{port}"
    proc, log_path = launch(data, port, *extra)
    checkpoint = [a for i, a in enumerate(extra) if i > 0 and extra[i - 1] == "--audit-checkpoint-interval"]
    key = json.loads(honnin("apikey", "create", "--data-dir", data, "--name", "interop", "--json",
                            *(["--audit-checkpoint-interval", checkpoint[0]] if checkpoint else [])))
    return {"data": pathlib.Path(data), "base": base, "port": port, "token": key["token"], "log": log_path, "proc": proc}


def thread_stacks(pid):
    debugger = shutil.which("gdb")
    if not debugger:
        return "(no gdb on the PATH)"
    try:
        return subprocess.run([debugger, "--batch", "-p", str(pid), "-ex", "thread apply all bt 25"],
                              capture_output=True, text=True, timeout=120).stdout
    except subprocess.TimeoutExpired:
        return "(gdb did not answer within 120 s)"


def stop(server, remove=True):
    """SIGTERM, then waits for a graceful exit. A server still running after 30 s fails the test
    with the end of its log and the stacks of all its threads (from gdb), so a hang can be read."""
    proc = server["proc"]
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stacks = thread_stacks(proc.pid)
            proc.kill()
            proc.wait()
            tail = "\n".join(pathlib.Path(server["log"]).read_text(errors="replace").splitlines()[-200:])
            raise AssertionError(f"honnin serve did not stop within 30 s of SIGTERM.\nIts log ends:\n{tail}\nIts threads:\n{stacks}")
    if remove:
        shutil.rmtree(server["data"], ignore_errors=True)
