#!/usr/bin/env python3
"""Loads a local HTML page in headless Chromium and prints, as one JSON object, what a
reader would see and what went wrong:

    {"text": <document.body.innerText>, "title": ..., "values": {<id>: <text>, ...},
     "resources": [<URLs the page fetched>], "errors": [<script errors, console errors,
     failed loads>]}

It drives Chromium through the DevTools protocol (a websocket to --remote-debugging-port),
with the standard library only: the domains are enabled before the page is loaded, so an
error thrown while it loads is caught, not only what a DOM dump would show.

    chromium_report.py PAGE.html [--chromium PATH] [--timeout SECS]

Exit status 0 when the page loaded (whatever it showed), 2 when Chromium could not be
driven; the caller judges the output.
"""
import argparse
import base64
import json
import os
import pathlib
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request


class WebSocket:
    """The client side of RFC 6455, enough for DevTools: text frames, no extensions."""

    def __init__(self, url, timeout):
        assert url.startswith("ws://"), url
        hostport, _, path = url[len("ws://"):].partition("/")
        host, _, port = hostport.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("websocket handshake: connection closed")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise OSError(f"websocket handshake refused: {status!r}")
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def send(self, text):
        payload = text.encode()
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise OSError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """The next text message (fragments joined); pings are answered."""
        message = b""
        while True:
            b0, b1 = self._read(2)
            fin, opcode, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._read(8))
            mask = self._read(4) if b1 & 0x80 else None
            data = self._read(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if opcode == 0x8:
                raise OSError("websocket closed by Chromium")
            if opcode == 0x9:
                self.sock.sendall(struct.pack("!BB", 0x8A, 0x80 | len(data)) + b"\0\0\0\0" + data)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += data
                if fin:
                    return message.decode()


class DevTools:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def call(self, method, **params):
        self.next_id += 1
        me = self.next_id
        self.ws.send(json.dumps({"id": me, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == me:
                if "error" in msg:
                    raise OSError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method, deadline):
        while time.monotonic() < deadline:
            for e in self.events:
                if e["method"] == method:
                    return True
            self.ws.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                msg = json.loads(self.ws.recv())
            except socket.timeout:
                break
            if "method" in msg:
                self.events.append(msg)
        return any(e["method"] == method for e in self.events)

    def drain(self, seconds):
        """Collects the events of the next `seconds` (late console messages)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.ws.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                msg = json.loads(self.ws.recv())
            except socket.timeout:
                return
            if "method" in msg:
                self.events.append(msg)


def errors_of(events):
    out = []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("exception: " + (d.get("exception", {}).get("description") or d.get("text", "")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = [a.get("value", a.get("description", "")) for a in p.get("args", [])]
            out.append(f"console.{p['type']}: " + " ".join(map(str, args)))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            out.append("log: " + p["entry"].get("text", ""))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()
    url = pathlib.Path(args.page).resolve().as_uri()
    profile = tempfile.mkdtemp(prefix="user-import-chromium-")
    proc = subprocess.Popen(
        [
            args.chromium,
            "--headless",
            # Tests run as root in containers, where Chromium's sandbox cannot start.
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + args.timeout
    try:
        # Chromium writes the port it chose here once it listens.
        port_file = pathlib.Path(profile, "DevToolsActivePort")
        while not port_file.exists() or not port_file.read_text().strip():
            if proc.poll() is not None or time.monotonic() > deadline:
                print("chromium did not start its DevTools server", file=sys.stderr)
                return 2
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        page = next(t for t in targets if t.get("type") == "page")
        ws = WebSocket(page["webSocketDebuggerUrl"], timeout=args.timeout)
        dt = DevTools(ws)
        for domain in ("Runtime", "Log", "Page"):
            dt.call(f"{domain}.enable")
        dt.call("Page.navigate", url=url)
        if not dt.wait_event("Page.loadEventFired", deadline):
            print("the page did not finish loading", file=sys.stderr)
            return 2
        dt.drain(0.3)
        ids = "['status','total','inserted','updated','failed','warnings']"
        expr = (
            "JSON.stringify({text: document.body ? document.body.innerText : '',"
            " title: document.title,"
            f" values: Object.fromEntries({ids}.map(i => [i, (document.getElementById(i) || {{}}).textContent || null])),"
            " resources: performance.getEntriesByType('resource').map(e => e.name)})"
        )
        result = dt.call("Runtime.evaluate", expression=expr, returnByValue=True)
        seen = json.loads(result["result"]["value"])
        seen["errors"] = errors_of(dt.events)
        print(json.dumps(seen))
        return 0
    except (OSError, StopIteration, KeyError, ValueError) as e:
        print(f"driving chromium failed: {e!r}", file=sys.stderr)
        return 2
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
