"""Start, watch and reliably stop background processes."""

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

_RUNNING = []


def services_bin(name):
    """Path of an executable of the test servers' virtualenv (``.venv-services``)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    venv = os.environ.get("STORAGE_SERVICES_VENV") or os.path.join(root, ".venv-services")
    path = os.path.join(venv, "bin", name)
    if not os.path.exists(path):
        raise RuntimeError(f"{path} is missing: run scripts/bootstrap.sh")
    return path


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=30.0, process=None):
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(process.describe_failure())
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def tail(path, lines=40):
    with contextlib.suppress(OSError), open(path, errors="replace") as handle:
        return "".join(handle.readlines()[-lines:])
    return ""


class Process:
    """A background process in its own process group, logged to a file."""

    def __init__(
        self, name, argv, log_path, *, env=None, cwd=None, user=None, stop_signal=signal.SIGTERM
    ):
        self.name = name
        self.argv = [str(arg) for arg in argv]
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
        self.user = user
        self.stop_signal = stop_signal
        self.popen = None

    def start(self):
        kwargs = {}
        if self.user and os.geteuid() == 0:
            entry = pwd.getpwnam(self.user)
            kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        # no log file: the output goes to our console
        log = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115 - the child's
        try:
            self.popen = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT if log else None,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
                **kwargs,
            )
        finally:
            if log:
                log.close()
        _RUNNING.append(self)
        return self

    @property
    def pid(self):
        return self.popen.pid

    @property
    def returncode(self):
        return self.popen.returncode

    def poll(self):
        return self.popen.poll()

    def signal_group(self, signum):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)

    def stop(self, timeout=20.0):
        """Stop the whole process group: polite signal, then SIGKILL."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.signal_group(self.stop_signal)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.popen.wait(10)
        # children that outlived their leader
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(ValueError):
            _RUNNING.remove(self)

    def kill(self):
        """Stop abruptly, as a crash or power loss would."""
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)
        with contextlib.suppress(ValueError):
            _RUNNING.remove(self)

    def describe_failure(self):
        return f"{self.name} failed; last lines of {self.log_path}:\n{tail(self.log_path)}"


class ServerBase:
    """A test server: one process and a private directory holding its data."""

    directory = None
    process = None

    def kill(self):
        """Crash the server; its files stay and ``start()`` serves them again."""
        if self.process is not None:
            self.process.kill()
            self.process = None

    def stop(self):
        """Stop the server and delete its files."""
        if self.process is not None:
            self.process.stop()
            self.process = None
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def stop_all():
    """Stop every process still running, newest first."""
    for process in reversed(list(_RUNNING)):
        with contextlib.suppress(Exception):
            process.stop()


def _on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def install_cleanup():
    """Stop every registered process on exit, Ctrl-C or SIGTERM."""
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
