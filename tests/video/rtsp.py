"""An RTSP camera inside the test, from Python's standard library: RTSP 1.0 (RFC 2326) over TCP with the RTP
packets interleaved on the same connection, carrying JPEG frames per RFC 2435 (static payload type 26), with
Basic authentication, the way many IP cameras and NVRs serve their substreams. FFmpeg (inside OpenCV, the
product's stream reader) is the client; OpenCV asks for RTP over TCP (robust through NAT and loss), and a
request for RTP over UDP is answered 461 Unsupported Transport, as TCP-only cameras do.

Frames are real footage encoded by OpenCV (baseline JPEG, standard Huffman tables, no restart markers): the RTP
payload is the entropy-coded scan with the quantisation tables in the first packet of each frame (Q = 255).
"""

from __future__ import annotations

import base64
import random
import socket
import struct
import threading
import time

from tests.video.streams import free_port

MAX_PAYLOAD = 1400


def jpeg_parts(data: bytes) -> tuple[int, int, int, bytes, bytes]:
    """(type, width, height, quantisation tables, scan) of a baseline JPEG, for RFC 2435."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    i = 2
    tables: dict[int, bytes] = {}
    width = height = 0
    kind = 1
    while i < len(data):
        if data[i] != 0xFF:
            raise ValueError(f"bad marker at {i}")
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        seg = data[i + 4 : i + 2 + length]
        if marker == 0xDB:  # DQT: one or more 8-bit tables of 64 bytes
            j = 0
            while j < len(seg):
                pq_tq = seg[j]
                if pq_tq >> 4:
                    raise ValueError("16-bit quantisation tables are not carried by RFC 2435 here")
                tables[pq_tq & 0x0F] = seg[j + 1 : j + 65]
                j += 65
        elif marker == 0xC0:  # SOF0 baseline
            height, width = struct.unpack(">HH", seg[1:5])
            y_sampling = seg[7]
            kind = {0x21: 0, 0x22: 1}[y_sampling]  # 4:2:2 → type 0, 4:2:0 → type 1
        elif marker in (0xC1, 0xC2, 0xDD):
            raise ValueError("only baseline JPEG without restart markers")
        elif marker == 0xDA:  # SOS: the scan runs to the EOI
            scan = data[i + 2 + length :]
            end = scan.rfind(b"\xff\xd9")
            return kind, width, height, tables[0] + tables[1], scan[:end]
        i += 2 + length
    raise ValueError("no scan")


def rtp_jpeg_packets(frame: bytes, *, seq: int, timestamp: int, ssrc: int) -> list[bytes]:
    kind, w, h, qt, scan = jpeg_parts(frame)
    if w % 8 or h % 8 or w > 2040 or h > 2040:
        raise ValueError("RFC 2435 needs sizes that are multiples of 8, up to 2040")
    out = []
    offset = 0
    while offset < len(scan):
        head = struct.pack(">B3sBBBB", 0, offset.to_bytes(3, "big"), kind, 255, w // 8, h // 8)
        if offset == 0:
            head += struct.pack(">BBH", 0, 0, len(qt)) + qt
        chunk = scan[offset : offset + MAX_PAYLOAD - len(head)]
        offset += len(chunk)
        marker = 0x80 if offset >= len(scan) else 0
        rtp = struct.pack(">BBHII", 0x80, marker | 26, (seq + len(out)) & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc)
        out.append(rtp + head + chunk)
    return out


class RtspCamera:
    """Serves the frames in a loop at `fps` to every client that plays `rtsp://user:password@host:port/live`."""

    def __init__(self, frames: list[bytes], *, fps: float = 25.0, user: str = "admin", password: str = "pw") -> None:
        self.frames, self.fps = frames, fps
        self.port = free_port()
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.user, self.password = user, password
        self.sent_frames = 0
        self.requests: list[str] = []
        self._alive = threading.Event()
        self._sock: socket.socket | None = None

    def url(self, password: str | None = None) -> str:
        return f"rtsp://{self.user}:{password or self.password}@127.0.0.1:{self.port}/live"

    def start(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self._alive.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._alive.clear()
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _accept(self) -> None:
        assert self._sock is not None
        while self._alive.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        playing = threading.Event()
        lock = threading.Lock()
        try:
            while self._alive.is_set():
                while buf[:1] == b"$" and len(buf) >= 4:  # the client's RTCP reports, interleaved: skip
                    n = struct.unpack(">H", buf[2:4])[0]
                    if len(buf) < 4 + n:
                        break
                    buf = buf[4 + n :]
                if b"\r\n\r\n" not in buf or buf[:1] == b"$":
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                    continue
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, uri, _ = lines[0].split(" ", 2)
                hdr = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
                self.requests.append(method)
                cseq = hdr.get("cseq", "0")
                reply = self._answer(method, uri, hdr, cseq)
                with lock:
                    conn.sendall(reply)
                if method == "PLAY" and reply.startswith(b"RTSP/1.0 200"):
                    playing.set()
                    threading.Thread(target=self._stream, args=(conn, lock), daemon=True).start()
                elif method == "TEARDOWN":
                    return
        except OSError:
            pass
        finally:
            if not playing.is_set():
                conn.close()

    def _answer(self, method: str, uri: str, hdr: dict[str, str], cseq: str) -> bytes:
        def resp(status: str, extra: dict[str, str] | None = None, body: bytes = b"") -> bytes:
            lines = [f"RTSP/1.0 {status}", f"CSeq: {cseq}"]
            lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
            if body:
                lines.append(f"Content-Length: {len(body)}")
            return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

        if method == "OPTIONS":
            return resp("200 OK", {"Public": "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER"})
        if hdr.get("authorization") != self.auth:
            return resp("401 Unauthorized", {"WWW-Authenticate": 'Basic realm="anju-test-camera"'})
        if method == "DESCRIBE":
            sdp = (
                b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=Anju test camera\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
                b"m=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG/90000\r\na=control:track1\r\n"
            )
            base = uri.rstrip("/") + "/"
            return resp("200 OK", {"Content-Type": "application/sdp", "Content-Base": base}, sdp)
        if method == "SETUP":
            if "TCP" not in hdr.get("transport", ""):
                return resp("461 Unsupported Transport")  # RTP over UDP is not offered: FFmpeg retries TCP
            return resp(
                "200 OK", {"Transport": "RTP/AVP/TCP;unicast;interleaved=0-1", "Session": "4a3e1f2b;timeout=60"}
            )
        if method == "PLAY":
            return resp("200 OK", {"Session": "4a3e1f2b", "Range": "npt=0.000-"})
        if method in ("GET_PARAMETER", "TEARDOWN"):
            return resp("200 OK", {"Session": "4a3e1f2b"})
        return resp("405 Method Not Allowed")

    def _stream(self, conn: socket.socket, lock: threading.Lock) -> None:
        seq, ssrc = random.randrange(1 << 16), random.randrange(1 << 32)
        ts0 = random.randrange(1 << 32)
        t0 = time.monotonic()
        i = 0
        try:
            while self._alive.is_set():
                packets = rtp_jpeg_packets(
                    self.frames[i % len(self.frames)], seq=seq, timestamp=ts0 + int(i * 90000 / self.fps), ssrc=ssrc
                )
                seq += len(packets)
                with lock:
                    for p in packets:
                        conn.sendall(b"$\x00" + struct.pack(">H", len(p)) + p)
                self.sent_frames += 1
                i += 1
                time.sleep(max(0.0, t0 + i / self.fps - time.monotonic()))
        except OSError:
            pass
        finally:
            conn.close()
