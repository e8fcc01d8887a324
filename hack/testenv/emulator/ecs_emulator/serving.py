"""Serving moto's app with the emulator installed, from moto's own parts.

server.py runs ``moto.server.main`` (moto_server's argument parsing, signal
handling and werkzeug ``run_simple``) with the dispatcher swapped for
``EmulatorDispatcher``.  Tests use ``start()``, which does what moto's
``ThreadedMotoServer`` does (``make_server`` + ``MotoRequestHandler``) but
binds port 0 so the OS picks a free port.
"""

from __future__ import annotations

import threading

from . import install


class RunningServer:
    def __init__(self, server, thread):
        self._server = server
        self._thread = thread
        host, port = server.server_address[:2]
        self.host, self.port = host, port
        self.url = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def make_app():
    install()
    from moto.moto_server.werkzeug_app import create_backend_app

    from .control import EmulatorDispatcher

    return EmulatorDispatcher(create_backend_app)


def start(host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    server = make_server(host, port, make_app(), threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="ecs-emulator", daemon=True)
    thread.start()
    return RunningServer(server, thread)
