"""A tiny Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (stdlib only).

Chromium reads JSON commands from file descriptor 3 and writes responses and events to file
descriptor 4, each message ended by a NUL byte. :func:`open_page` starts headless Chromium with
the network off, loads one ``file://`` page, and returns what a reader's browser saw: console
messages, exceptions, requests and their failures, a probe of the page evaluated in it, and a
full-page screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BrowserError", "PageVisit", "find_chromium", "open_page"]


class BrowserError(RuntimeError):
    """Chromium did not start, or did not answer in time."""


def find_chromium() -> str | None:
    """``$REGADVISOR_CHROMIUM``, else ``chromium`` (or ``chromium-browser``) on the PATH."""
    explicit = os.environ.get("REGADVISOR_CHROMIUM")
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    """What loading one page in the browser produced."""

    url: str
    console: list[dict[str, Any]] = field(default_factory=list)     # Runtime.consoleAPICalled
    exceptions: list[dict[str, Any]] = field(default_factory=list)  # Runtime.exceptionThrown
    log: list[dict[str, Any]] = field(default_factory=list)         # Log.entryAdded
    requests: list[str] = field(default_factory=list)               # every URL requested
    failed: list[dict[str, Any]] = field(default_factory=list)      # Network.loadingFailed
    dialogs: list[str] = field(default_factory=list)                # alert(), confirm(), ...
    probe: Any = None                                               # the probe's JSON value
    screenshot: Path | None = None

    @property
    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries, as text."""
        out = [" ".join(str(a.get("value", a.get("description", ""))) for a in c.get("args", []))
               for c in self.console if c.get("type") in ("error", "assert")]
        out += [e.get("exceptionDetails", {}).get("text", "exception") for e in self.exceptions]
        out += [e["entry"].get("text", "") for e in self.log
                if e.get("entry", {}).get("level") == "error"]
        return out


class _Pipe:
    """JSON messages over Chromium's debugging pipe."""

    def __init__(self, to_browser: int, from_browser: int) -> None:
        self.write_fd = to_browser
        self.read_fd = from_browser
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.write_fd, data):]
        return self.next_id

    def _keep(self, msg: dict[str, Any]) -> None:
        self.events.append(msg)
        if msg["method"] == "Page.javascriptDialogOpening":  # a dialog would block the page
            self.send("Page.handleJavaScriptDialog", {"accept": False}, msg.get("sessionId"))

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("Chromium did not answer in time.")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the debugging pipe.")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None, timeout: float = 30.0) -> dict[str, Any]:
        """Send a command and wait for its answer; events that arrive meanwhile are kept."""
        want = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise BrowserError(f"{method} failed: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self._keep(msg)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        """The first event named ``method`` (already received or still to come)."""
        for e in self.events:
            if e["method"] == method:
                return e
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read_message(deadline)
            if "method" in msg:
                self._keep(msg)
                if msg["method"] == method:
                    return msg

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive within ``seconds``."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                msg = self._read_message(deadline)
                if "method" in msg:
                    self._keep(msg)
        except BrowserError:
            return


def _child_fds(read_end: int, write_end: int):
    def setup() -> None:  # runs in the child before exec: put the pipe ends on fds 3 and 4
        r = fcntl.fcntl(read_end, fcntl.F_DUPFD, 10)   # out of the way of 3 and 4 first
        w = fcntl.fcntl(write_end, fcntl.F_DUPFD, 10)
        os.dup2(r, 3)  # dup2 makes them inheritable
        os.dup2(w, 4)
    return setup


def open_page(path: Path, probe: str, screenshot: Path | None = None, chromium: str | None = None,
              width: int = 1100, timeout: float = 60.0) -> PageVisit:
    """Load ``path`` from ``file://`` in headless Chromium with the network off.

    Args:
        path: The HTML file.
        probe: A JavaScript expression evaluated in the loaded page; its value comes back as
            JSON in :attr:`PageVisit.probe`.
        screenshot: Where to save a full-page PNG (optional).
        chromium: The browser binary (default: :func:`find_chromium`).
        width: Viewport width in CSS pixels.
        timeout: Seconds for each step.
    """
    binary = chromium or find_chromium()
    if not binary:
        raise BrowserError("No chromium found; set REGADVISOR_CHROMIUM.")
    url = Path(path).resolve().as_uri()
    to_r, to_w = os.pipe()      # we write commands, Chromium reads them on fd 3
    from_r, from_w = os.pipe()  # Chromium writes on fd 4, we read
    profile = tempfile.mkdtemp(prefix="regadvisor-chromium-")
    args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-quic", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--disable-default-apps",
            "--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
            # Every host name resolves nowhere: nothing outside the page can load.
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://0.0.0.0:9",
            f"--user-data-dir={profile}", f"--window-size={width},900",
            "--remote-debugging-pipe", "about:blank"]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=_child_fds(to_r, from_w),
                            close_fds=False)
    os.close(to_r)
    os.close(from_w)
    pipe = _Pipe(to_w, from_r)
    visit = PageVisit(url=url)
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)
        session = pipe.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                      "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.call(f"{domain}.enable", session=session)
        pipe.call("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
            session=session)
        pipe.call("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*",
                                                      "wss://*", "ftp://*"]}, session=session)
        pipe.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session)
        pipe.events.clear()
        pipe.call("Page.navigate", {"url": url}, session=session, timeout=timeout)
        pipe.wait_for("Page.loadEventFired", timeout=timeout)
        pipe.drain(0.3)
        result = pipe.call("Runtime.evaluate", {"expression": probe, "returnByValue": True,
                                                "awaitPromise": True}, session=session)
        if "exceptionDetails" in result:
            raise BrowserError(f"The probe failed: {result['exceptionDetails']}")
        visit.probe = result["result"].get("value")
        if screenshot is not None:
            metrics = pipe.call("Page.getLayoutMetrics", session=session)
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            shot = pipe.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                         "scale": 1}}, session=session, timeout=timeout)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            visit.screenshot = screenshot
        pipe.drain(0.2)
        try:
            pipe.call("Browser.close", timeout=5)
        except BrowserError:
            pass
    finally:
        for e in pipe.events:
            method, params = e["method"], e.get("params", {})
            if method == "Runtime.consoleAPICalled":
                visit.console.append(params)
            elif method == "Runtime.exceptionThrown":
                visit.exceptions.append(params)
            elif method == "Log.entryAdded":
                visit.log.append(params)
            elif method == "Network.requestWillBeSent":
                visit.requests.append(params["request"]["url"])
            elif method == "Network.loadingFailed":
                visit.failed.append(params)
            elif method == "Page.javascriptDialogOpening":
                visit.dialogs.append(params.get("message", ""))
        os.close(to_w)
        os.close(from_r)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    return visit
