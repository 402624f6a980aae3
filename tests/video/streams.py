"""A live camera inside the test: real footage served as MJPEG over HTTP (multipart/x-mixed-replace, what many
IP cameras serve at /mjpeg), from Python's standard library. It can be stopped mid-stream (every open connection
is cut) and started again on the same port, as a camera that reboots would."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from pathlib import Path

import cv2


def jpeg_frames(path: Path, *, limit: int = 60, step: int = 1) -> list[bytes]:
    cap = cv2.VideoCapture(str(path))
    out: list[bytes] = []
    i = 0
    while len(out) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        if i % step == 0:
            out.append(cv2.imencode(".jpg", frame)[1].tobytes())
        i += 1
    cap.release()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MjpegCamera:
    def __init__(self, frames: list[bytes], *, fps: float = 10.0, port: int | None = None) -> None:
        self.frames = frames
        self.fps = fps
        self.port = port or free_port()
        self.alive = threading.Event()
        self.served = 0
        self._srv: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mjpeg"

    def start(self) -> None:
        cam = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i = 0
                try:
                    while cam.alive.is_set():
                        b = cam.frames[i % len(cam.frames)]
                        i += 1
                        head = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(b)
                        self.wfile.write(head + b + b"\r\n")
                        cam.served += 1
                        time.sleep(1.0 / cam.fps)
                except OSError:
                    pass
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._srv.daemon_threads = True
        self.alive.set()
        threading.Thread(target=self._srv.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """The camera goes away: open streams end and new connections are refused."""
        self.alive.clear()
        if self._srv is not None:
            self._srv.shutdown()
            self._srv.server_close()
            self._srv = None
