"""The studio's web application (Starlette): the page, its JSON API and the training socket.

    GET  /                      the page (three rooms; plain JavaScript from /static)
    GET  /api/limits            the limits and choices the page's inputs use
    POST /api/workbench         {"expression", "values", "h"} → the graph, both passes, the nudge check
    GET  /api/runs              the runs with snapshots under the runs folder (ids, never paths)
    GET  /api/runs/{id}         one run's settings, kept epochs, loss curve and data
    GET  /api/runs/{id}/frame   ?index=k[&point=p] the network at the k-th kept epoch
    WS   /ws/train              a training session for as long as the socket is open

All engine work runs in one worker thread, so requests from any number of tabs queue up
instead of fighting for the two cores, and the event loop stays free to answer. A request
the studio refuses gets status 400 and ``{"error": "one line"}``; anything unexpected gets
500 with the same shape, and the server carries on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from autograd.teach.page import PANZOOM_SCRIPT
from experiments import data
from experiments.studio import limits, workbench
from experiments.studio.limits import RequestError
from experiments.studio.numbers import jsonable
from experiments.studio.replay import Library
from experiments.studio.sockets import train_socket
from experiments.training import ACTIVATIONS, LOSSES, OPTIMIZERS

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
log = logging.getLogger("chainrule.studio")


def dumps(payload: Any) -> str:
    """JSON text of ``payload``; NaN and inf travel as strings (see ``numbers.jsonable``)."""
    return json.dumps(jsonable(payload), allow_nan=False, separators=(",", ":"))


def reply(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status_code=status, media_type="application/json",
                    headers={"Cache-Control": "no-store"})


class Engine:
    """The one thread that runs engine work for every request and session."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="studio-engine")

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


async def read_json(request: Request) -> Any:
    """The request's JSON body, at most MAX_BODY_BYTES, or RequestError."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise RequestError("send the request body as JSON, with Content-Type: application/json")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limits.MAX_BODY_BYTES:
            raise RequestError(f"the request body is larger than {limits.MAX_BODY_BYTES // 1024} KB")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise RequestError("the request body is not valid JSON") from None


async def index(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def panzoom(request: Request) -> Response:
    return FileResponse(PANZOOM_SCRIPT, media_type="text/javascript")


async def limits_view(request: Request) -> Response:
    names = ("MAX_EXPRESSION_LENGTH", "MAX_EXPRESSION_DEPTH", "MAX_VARIABLES", "MAX_VALUE", "MAX_VECTOR", "MAX_LAYERS",
             "MAX_UNITS", "MAX_POINTS", "MAX_EPOCHS", "MAX_EPOCHS_PER_SECOND", "MAX_LR")
    return reply({"limits": {n.lower(): getattr(limits, n) for n in names},
                  "choices": {"dataset": list(data.DATASETS), "activation": list(ACTIVATIONS),
                              "loss": list(LOSSES), "optimizer": list(OPTIMIZERS)}})


async def workbench_view(request: Request) -> Response:
    payload = await read_json(request)
    return reply(await request.app.state.engine.run(workbench.solve, payload))


async def runs_view(request: Request) -> Response:
    return reply(await request.app.state.engine.run(request.app.state.library.listing))


async def run_view(request: Request) -> Response:
    library = request.app.state.library
    return reply(await request.app.state.engine.run(library.summary, request.path_params["run_id"]))


async def run_frame_view(request: Request) -> Response:
    library, q = request.app.state.library, request.query_params
    unknown = sorted(set(q) - {"index", "point"})
    if unknown:
        raise RequestError(f"unknown query parameter(s) {', '.join(unknown)}; allowed: index, point")
    run_id = request.path_params["run_id"]
    return reply(await request.app.state.engine.run(library.frame, run_id, q.get("index"), q.get("point")))


async def refused(request: Request, err: Exception) -> Response:
    return reply({"error": str(err)}, 400)


async def http_error(request: Request, err: Exception) -> Response:
    detail = err.detail if isinstance(err, HTTPException) else str(err)
    status = err.status_code if isinstance(err, HTTPException) else 500
    if status == 404:
        detail = f"there is nothing at {request.url.path[:80]}"
    elif status == 405:
        detail = f"{request.method} is not allowed at {request.url.path[:80]}"
    return reply({"error": detail}, status)


async def crashed(request: Request, err: Exception) -> Response:
    log.exception("studio: unexpected error on %s", request.url.path)
    return reply({"error": f"internal error ({type(err).__name__}: {str(err)[:200]}); the server carries on"}, 500)


def create_app(runs: Path | None = None, trusted_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS) -> Starlette:
    """The studio's app. ``runs`` is the folder the replay lists; ``trusted_hosts`` are the
    Host headers accepted (the loopback names by default, which stops a web page from
    reaching the studio through DNS rebinding); None accepts any (``--host``)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        app.state.engine = Engine()  # a fresh thread each time the server starts
        yield
        app.state.engine.close()

    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(trusted_hosts))] if trusted_hosts else []
    app = Starlette(
        routes=[Route("/", index), Route("/api/limits", limits_view),
                Route("/api/workbench", workbench_view, methods=["POST"]), Route("/api/runs", runs_view),
                Route("/api/runs/{run_id}", run_view), Route("/api/runs/{run_id}/frame", run_frame_view),
                WebSocketRoute("/ws/train", train_socket), Route("/static/panzoom.js", panzoom),
                Mount("/static", StaticFiles(directory=STATIC))],
        middleware=middleware, lifespan=lifespan,
        exception_handlers={RequestError: refused, HTTPException: http_error, Exception: crashed})
    app.state.engine = Engine()
    app.state.library = Library(Path(runs) if runs is not None else None)
    app.state.sessions = 0
    return app
