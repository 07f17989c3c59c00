"""The training socket: one microscope session per open socket (per tab).

The page sends JSON messages (``{"type": "setup" | "play" | "pause" | "step" | "reset" |
"inspect", ...}``) and gets JSON replies and, while playing, a frame about every 0.1 s. The
session lives exactly as long as the socket: closing the tab closes the socket and the
session stops and is dropped. A bad message gets ``{"type": "error", "message"}`` and the
session goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket, WebSocketDisconnect

from experiments.studio import limits
from experiments.studio.limits import RequestError
from experiments.studio.microscope import FRAME_SECONDS, Session
from experiments.studio.numbers import jsonable

log = logging.getLogger("chainrule.studio")
CLOSED = object()  # put in the inbox when the page goes away
INBOX = 8  # messages waiting at most; a page that sends faster waits


def same_origin(ws: WebSocket) -> bool:
    """A browser says which page opened a socket (Origin); only the studio's own page may.
    A client that sends no Origin (not a browser) is let in."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == ws.headers.get("host", "").lower()


async def train_socket(ws: WebSocket) -> None:
    state = ws.app.state
    if not same_origin(ws):
        await ws.close(code=1008, reason="the studio accepts sockets from its own page only")
        return
    await ws.accept()
    if state.sessions >= limits.MAX_SESSIONS:
        await _send(ws, {"type": "error", "message": f"{limits.MAX_SESSIONS} training sessions are open already "
                                                     f"(one per tab): close a tab and reload this one"})
        await ws.close(code=1013)
        return
    state.sessions += 1
    inbox: asyncio.Queue = asyncio.Queue(maxsize=INBOX)
    reader = asyncio.create_task(_read(ws, inbox))
    try:
        session = await state.engine.run(Session)
        await _send(ws, await state.engine.run(session.ready))
        await _serve(ws, session, inbox, state.engine)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the page went away while a reply was on its way
    finally:
        state.sessions -= 1
        reader.cancel()


async def _serve(ws: WebSocket, session: Session, inbox: asyncio.Queue, engine: Any) -> None:
    """Answer messages; while playing and nothing waits, train and send frames."""
    loop = asyncio.get_running_loop()
    while True:
        if session.playing and inbox.empty():
            started = loop.time()
            epochs = session.due(FRAME_SECONDS)
            if epochs:
                await _send(ws, await engine.run(session.advance, epochs))
            await asyncio.sleep(max(0.0, FRAME_SECONDS - (loop.time() - started)))
            continue
        message = await inbox.get()
        if message is CLOSED:
            return
        await _send(ws, await engine.run(_answer, session, message))


def _answer(session: Session, message: Any) -> dict[str, Any]:
    if isinstance(message, RequestError):
        return {"type": "error", "message": str(message)}
    try:
        return session.handle(message)
    except RequestError as err:
        return {"type": "error", "message": str(err)}
    except Exception as err:  # a bug must not end the session or the server
        log.exception("studio: training session error")
        return {"type": "error", "message": f"internal error ({type(err).__name__}: {str(err)[:200]})"}


async def _read(ws: WebSocket, inbox: asyncio.Queue) -> None:
    """Move the page's messages into the inbox, parsed; CLOSED when the socket closes."""
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                await inbox.put(RequestError("send messages as JSON text, not binary"))
            elif len(text) > limits.MAX_BODY_BYTES:
                await inbox.put(RequestError(f"a message is larger than {limits.MAX_BODY_BYTES // 1024} KB"))
            else:
                try:
                    await inbox.put(json.loads(text))
                except (ValueError, RecursionError):
                    await inbox.put(RequestError("a message is not valid JSON"))
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        try:
            inbox.put_nowait(CLOSED)
        except asyncio.QueueFull:  # make room: the session is over anyway
            inbox.get_nowait()
            inbox.put_nowait(CLOSED)


async def _send(ws: WebSocket, payload: Any) -> None:
    await ws.send_text(json.dumps(jsonable(payload), allow_nan=False, separators=(",", ":")))
