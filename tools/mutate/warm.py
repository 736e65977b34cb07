"""A warm pytest for each mutant: one server imports the heavy dependencies once, then forks a pytest per mutant.

Importing a module's test dependencies costs seconds (aws_cdk through
stacks.config: about 6 s here), many times what its tests take; cosmic-ray
starts the test command once per mutant. So the command is this module's small
client, and the server forks a child that runs pytest in-process. The server
never imports the mutated module (checked), so each child reads the mutant
from disk.

    python tools/mutate/warm.py serve SOCKET FILE [--preload MODULE ...] [--timeout SECONDS]
    python tools/mutate/warm.py run SOCKET -- PYTEST_ARGS ...

Standard library only: it runs by path, from any tree.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import math
import os
import signal
import socket
import sys
import tomllib
from pathlib import Path

_EXIT = b"\0exit "


def serve(path: str, mutated: Path, preload: list[str], timeout: float) -> None:
    sys.dont_write_bytecode = True  # a mutant may keep the original's size and second: never trust a .pyc
    # pytest's own `pythonpath` (pyproject.toml), so the preloads import as the tests will.
    project = Path("pyproject.toml")
    ini = tomllib.loads(project.read_text()).get("tool", {}).get("pytest", {}) if project.exists() else {}
    sys.path[:0] = [str(Path(p).resolve()) for p in ini.get("ini_options", {}).get("pythonpath", [])]
    for name in preload:
        importlib.import_module(name)
    # pytest's plugins too: importing them (syrupy, moto, werkzeug, ...) is most of a bare run's start.
    for plugin in importlib.metadata.entry_points(group="pytest11"):
        plugin.load()
    loaded = [m.__name__ for m in list(sys.modules.values()) if getattr(m, "__file__", None) == str(mutated)]
    if loaded:
        raise SystemExit(f"the preloaded modules import the mutated module ({', '.join(loaded)}): preload less")
    import pytest

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            args = json.loads(conn.makefile("rb").readline())
            pid = os.fork()
            if pid == 0:
                server.close()
                # cosmic-ray's timeout ends the client only: a hung mutant must not hold the server.
                signal.alarm(max(1, math.ceil(timeout)))
                os.dup2(conn.fileno(), 1)
                os.dup2(conn.fileno(), 2)
                try:
                    code = int(pytest.main(args))
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                os._exit(code)  # not exit(): no atexit hook of the parent's imports (jsii's kernel) may run
            _, status = os.waitpid(pid, 0)
            conn.sendall(_EXIT + str(os.waitstatus_to_exitcode(status)).encode())


def run(path: str, pytest_args: list[str]) -> int:
    """Ask the server for one pytest run; print its output; its exit code is ours."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        conn.sendall(json.dumps(pytest_args).encode() + b"\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    output, _, code = b"".join(chunks).rpartition(_EXIT)
    sys.stdout.buffer.write(output)
    return int(code) if code else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="warm.py")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("socket")
    s.add_argument("mutated", type=Path)
    s.add_argument("--preload", nargs="*", default=[])
    s.add_argument("--timeout", type=float, default=120.0)
    r = sub.add_parser("run")
    r.add_argument("socket")
    r.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.socket, args.mutated.resolve(), args.preload, args.timeout)
        return 0
    return run(args.socket, [a for a in args.pytest_args if a != "--"])


if __name__ == "__main__":
    sys.exit(main())
