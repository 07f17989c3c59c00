"""Running the studio: ``python -m experiments.studio`` (or ``chainrule-studio``), and the
same server in a background thread for a notebook or a test.

    python -m experiments.studio                   http://127.0.0.1:8765, opens the browser
    python -m experiments.studio --runs runs/      replay the runs under runs/ (the default)
    python -m experiments.studio --host 0.0.0.0    serve a classroom (prints a warning)
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn

from experiments.studio import limits
from experiments.studio.app import LOOPBACK_HOSTS, create_app

DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); port 0 picks a free one. OSError if taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"


def server_for(app: Any, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for ``app`` with websocket messages capped at MAX_BODY_BYTES."""
    config = uvicorn.Config(app, log_level=log_level, ws="websockets-sansio", ws_max_size=limits.MAX_BODY_BYTES,
                            timeout_graceful_shutdown=2, lifespan="on")
    return uvicorn.Server(config)


class Background:
    """The studio served from a daemon thread: ``url``, and ``stop()``."""

    def __init__(self, runs: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.socket = bind(host, port)
        self.url = url_of(self.socket, host)
        trusted = LOOPBACK_HOSTS if is_loopback(host) else None
        self.server = server_for(create_app(runs, trusted_hosts=trusted))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True,
                                       name="chainrule-studio")
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the studio's server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


_notebook: Background | None = None


def notebook(runs: str | Path | None = "runs", height: int = 760, room: str = "workbench") -> Any:
    """Start the studio in the background (once per kernel) and show it in the notebook:

    >>> from experiments.studio import notebook
    >>> notebook()                     # the workbench, in an IFrame below the cell
    >>> notebook(room="microscope")

    Returns an ``IPython.display.IFrame`` (or the URL, outside IPython)."""
    global _notebook
    if room not in ("workbench", "microscope", "replay"):
        raise ValueError(f"room must be workbench, microscope or replay, got {room!r}")
    if _notebook is None or not _notebook.thread.is_alive():
        _notebook = Background(Path(runs) if runs is not None else None)
    url = f"{_notebook.url}#{room}"
    try:
        from IPython.display import IFrame
    except ImportError:
        return url
    return IFrame(url, width="100%", height=height)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m experiments.studio",
                                description="The chain rule and the lab's network, live in the browser.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0 serves your network)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--runs", type=Path, default=Path("runs"),
                   help="folder whose runs with snapshots the replay lists (default runs/)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error(f"--port must be in 0..65535, got {args.port}")
    if args.runs.exists() and not args.runs.is_dir():
        p.error(f"--runs {args.runs} is a file, not a folder")
    try:
        sock = bind(args.host, args.port)
    except OSError as err:
        p.error(f"cannot listen on {args.host}:{args.port}: {err.strerror or err} "
                f"(pick another with --port, or --port 0 for any free one)")
    loopback = is_loopback(args.host)
    url = url_of(sock, args.host)
    if not loopback:
        print(f"warning: serving on {args.host}: anyone who can reach this computer on that network can use the "
              f"studio (it runs training on this machine and lists the runs under {args.runs}/)", file=sys.stderr)
    print(f"chainrule studio at {url}  (Ctrl-C to stop)")
    server = server_for(create_app(args.runs, trusted_hosts=LOOPBACK_HOSTS if loopback else None), "info")
    if not args.no_browser:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])  # uvicorn stops on Ctrl-C, then raises it again
    except KeyboardInterrupt:
        return 130
    return 0
