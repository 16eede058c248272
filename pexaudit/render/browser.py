"""Headless Chromium through the DevTools protocol: render check, screenshot, PDF.

Debian's ``chromium`` runs with every background service off (no update check, no sync, no
component download) and a fresh profile; the page is opened from ``file://`` and any request
that is not ``file:`` or ``data:`` is recorded as external. Used by the browser test and by
``pexaudit audit --pdf``. :func:`open_page` keeps a page open to drive it (JupyterLab in the
browser test, the guide's screenshots).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Page", "PrintLayout", "Render", "chromium_path", "open_page", "print_layout", "print_pdf",
    "printable_width_px", "render",
]  # fmt: skip

FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--disable-extensions", "--disable-default-apps",
    "--metrics-recording-only", "--mute-audio", "--hide-scrollbars", "--remote-debugging-port=0",
]  # fmt: skip


def chromium_path() -> str | None:
    for name in (os.environ.get("PEXAUDIT_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (found := shutil.which(name)):
            return found
    return None


@dataclass
class Render:
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes | None = None
    pdf: bytes | None = None
    title: str = ""


class _Cdp:
    """A minimal DevTools client: commands with ids, events collected as they come."""

    def __init__(self, url: str) -> None:
        import websocket  # websocket-client, a Jupyter dependency

        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while time.monotonic() < deadline:
            event = json.loads(self.ws.recv())
            self.events.append(event)
            if event.get("method") == method:
                return event
        raise TimeoutError(method)

    def close(self) -> None:
        self.ws.close()


@contextlib.contextmanager
def _chromium(width: int = 1200) -> Iterator[_Cdp]:
    """A headless Chromium with a fresh profile, driven through its DevTools socket."""
    binary = chromium_path()
    if binary is None:
        raise FileNotFoundError("chromium introuvable (paquet Debian « chromium »)")
    profile = Path(tempfile.mkdtemp(prefix="pexaudit-chromium-"))
    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},1600", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("chromium n'a pas démarré")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        cdp = _Cdp(f"ws://127.0.0.1:{port}{path}")
        try:
            yield cdp
        finally:
            cdp.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


def _open(cdp: _Cdp, html_path: Path) -> str:
    """A new tab on ``html_path``, loaded; returns its session id."""
    target = cdp.send("Target.createTarget", url="about:blank")["targetId"]
    session = cdp.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.send(f"{domain}.enable", session)
    cdp.send("Page.navigate", session, url=html_path.resolve().as_uri())
    cdp.wait_for("Page.loadEventFired")
    time.sleep(0.2)  # late console messages
    return session


def render(html_path: Path, *, screenshot: bool = True, pdf: bool = False, width: int = 1200) -> Render:
    """Open ``html_path`` in headless Chromium and report what happened."""
    with _chromium(width) as cdp:
        return _drive(cdp, html_path, screenshot, pdf, width)


def _drive(cdp: _Cdp, html_path: Path, screenshot: bool, pdf: bool, width: int) -> Render:
    session = _open(cdp, html_path)
    result = Render()
    result.title = cdp.send("Runtime.evaluate", session, expression="document.title", returnByValue=True)["result"][
        "value"
    ]
    if screenshot:
        height = cdp.send(
            "Runtime.evaluate", session, expression="document.documentElement.scrollHeight", returnByValue=True
        )
        cdp.send(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=width,
            height=int(height["result"]["value"]),
            deviceScaleFactor=1,
            mobile=False,
        )
        result.screenshot = base64.b64decode(cdp.send("Page.captureScreenshot", session, format="png")["data"])
    if pdf:
        data = cdp.send(
            "Page.printToPDF", session, preferCSSPageSize=True, printBackground=True, displayHeaderFooter=False
        )
        result.pdf = base64.b64decode(data["data"])
    for event in cdp.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            result.console_errors.append(
                " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            )
        elif method == "Runtime.exceptionThrown":
            result.console_errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            result.console_errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            url = params.get("request", {}).get("url", "")
            result.requests.append(url)
            if not url.startswith(("file:", "data:", "about:")):
                result.external_requests.append(url)
    return result


def print_pdf(html_path: Path, pdf_path: Path) -> None:
    """``rapport.html`` -> ``rapport.pdf`` (A4, the report's print stylesheet)."""
    outcome = render(html_path, screenshot=False, pdf=True)
    if outcome.external_requests:
        raise RuntimeError(f"le rapport a tenté des requêtes externes : {outcome.external_requests}")
    pdf_path.write_bytes(outcome.pdf or b"")


# The report's print geometry (report.css, @page): A4, 12 mm left and right margins; sections
# marked ``page: wide`` print on landscape pages.
A4_MM = (210.0, 297.0)
SIDE_MARGIN_MM = 12.0
CSS_PX_PER_MM = 96 / 25.4


def printable_width_px(landscape: bool = False) -> float:
    """The width, in CSS pixels, between the left and right margins of an A4 page."""
    paper = A4_MM[1] if landscape else A4_MM[0]
    return (paper - 2 * SIDE_MARGIN_MM) * CSS_PX_PER_MM


# Every box and every line of text laid out with the print stylesheet, each compared with the
# printable width of the page it prints on (landscape when it or an ancestor has `page: wide`).
_MEASURE = """
(() => {
  const limits = {portrait: %(portrait)f, wide: %(wide)f};
  const pages = new Map();
  const pageOf = (el) => {
    if (!el || el === document.documentElement) return 'portrait';
    if (pages.has(el)) return pages.get(el);
    const own = getComputedStyle(el).page;
    const kind = own === 'wide' ? 'wide' : (own && own !== 'auto' ? 'portrait' : pageOf(el.parentElement));
    pages.set(el, kind);
    return kind;
  };
  const label = (el) => {
    const section = el.closest('[id]');
    const cls = (el.getAttribute && el.getAttribute('class')) || '';
    return (section ? '#' + section.id + ' ' : '') + el.tagName.toLowerCase() + (cls ? '.' + cls.split(' ').join('.') : '');
  };
  const over = [];
  const right = {portrait: 0, wide: 0};
  let boxes = 0, lines = 0;
  const check = (rect, el, what) => {
    if (rect.width === 0 && rect.height === 0) return;
    const kind = pageOf(el);
    right[kind] = Math.max(right[kind], rect.right);
    if (rect.right > limits[kind] + 0.5 || rect.left < -0.5) {
      over.push({what: what, where: label(el), page: kind, left: rect.left, right: rect.right,
                 limit: limits[kind], text: (el.innerText || el.textContent || '').trim().slice(0, 80)});
    }
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (['STYLE', 'SCRIPT', 'BR', 'HEAD', 'TITLE', 'META'].includes(el.tagName)) continue;
    boxes += 1;
    check(el.getBoundingClientRect(), el, 'box');
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || !node.parentElement || node.parentElement.closest('style, script')) continue;
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      lines += 1;
      check(rect, node.parentElement, 'text');
    }
  }
  return {overflows: over, boxes: boxes, lines: lines, max_right: right,
          scroll_width: document.documentElement.scrollWidth};
})()
"""


@dataclass
class PrintLayout:
    """The report laid out for print at the width of an A4 portrait page (CSS pixels)."""

    width: float
    wide_width: float
    overflows: list[dict]
    boxes: int
    lines: int
    max_right: dict[str, float]
    scroll_width: int
    pdf: bytes | None = None


def print_layout(html_path: Path, *, pdf: bool = True) -> PrintLayout:
    """Lay ``html_path`` out with print media at the printable width of A4 and list every box or
    line of text that passes the right margin of the page it prints on; with ``pdf`` also print it."""
    width, wide = printable_width_px(), printable_width_px(landscape=True)
    with _chromium(round(width)) as cdp:
        session = _open(cdp, html_path)
        cdp.send("Emulation.setEmulatedMedia", session, media="print")
        cdp.send("Emulation.setDeviceMetricsOverride", session, width=round(width), height=1100,
                 deviceScaleFactor=1, mobile=False)  # fmt: skip
        found = cdp.send(
            "Runtime.evaluate", session, expression=_MEASURE % {"portrait": width, "wide": wide}, returnByValue=True
        )["result"]["value"]
        data = None
        if pdf:
            cdp.send("Emulation.clearDeviceMetricsOverride", session)
            cdp.send("Emulation.setEmulatedMedia", session, media="")
            printed = cdp.send(
                "Page.printToPDF", session, preferCSSPageSize=True, printBackground=True, displayHeaderFooter=False
            )
            data = base64.b64decode(printed["data"])
    return PrintLayout(width=width, wide_width=wide, pdf=data, **found)


# --- a live page: the browser test of JupyterLab and the guide's screenshots ----------------


@dataclass
class Page:
    """One tab of a headless Chromium, driven through the DevTools protocol.

    ``evaluate`` runs JavaScript in the page, ``wait_until`` polls an expression until it is
    truthy, ``type_text`` types into the focused element as a keyboard would; every request
    the page sent and every console error are kept (:attr:`requests`, :attr:`console_errors`).
    """

    cdp: _Cdp
    session: str
    width: int
    height: int

    def evaluate(self, expression: str, *, await_promise: bool = False):
        """The value of ``expression`` in the page (JSON-serialisable); a JavaScript error raises."""
        reply = self.cdp.send(
            "Runtime.evaluate", self.session, expression=expression, returnByValue=True, awaitPromise=await_promise
        )
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description") or details.get("text", "erreur JS"))
        return reply["result"].get("value")

    def wait_until(self, expression: str, *, timeout: float = 60.0, interval: float = 0.25, what: str = ""):
        """Poll ``expression`` until it is truthy and return its value; TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(what or expression)
            time.sleep(interval)

    def type_text(self, text: str) -> None:
        """Type ``text`` into the focused element (input events, as a keyboard does)."""
        self.cdp.send("Input.insertText", self.session, text=text)

    def screenshot(self, selector: str | None = None) -> bytes:
        """A PNG of the visible window, or of the first element ``selector`` finds (as far as it is in view)."""
        params: dict = {"format": "png"}
        if selector:
            box = self.evaluate(
                f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                " return {x: Math.max(r.x, 0), y: Math.max(r.y, 0), width: r.width,"
                f" height: Math.min(r.bottom, {self.height}) - Math.max(r.y, 0)}}; }})()"
            )
            params["clip"] = {**box, "scale": 1}
        return base64.b64decode(self.cdp.send("Page.captureScreenshot", self.session, **params)["data"])

    @property
    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"] for e in self.cdp.events if e.get("method") == "Network.requestWillBeSent"
        ]

    def external_requests(self, *local: str) -> list[str]:
        """The requests to anything but ``local`` prefixes (``http://127.0.0.1:8888/``), data: and blob:."""
        own = ("data:", "blob:", "about:", *local)
        return [url for url in self.requests if not url.startswith(own)]

    @property
    def console_errors(self) -> list[str]:
        out = []
        for event in self.cdp.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(params.get("exceptionDetails", {}).get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", [])))
        return out


@contextmanager
def open_page(url: str, *, width: int = 1400, height: int = 900, timeout: float = 60.0) -> Iterator[Page]:
    """Headless Chromium on ``url`` (same flags and fresh profile as :func:`render`), closed after."""
    binary = chromium_path()
    if binary is None:
        raise FileNotFoundError("chromium introuvable (paquet Debian « chromium »)")
    profile = Path(tempfile.mkdtemp(prefix="pexaudit-chromium-"))
    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("chromium n'a pas démarré")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        cdp = _Cdp(f"ws://127.0.0.1:{port}{path}")
        cdp.ws.settimeout(timeout)
        try:
            target = cdp.send("Target.createTarget", url="about:blank")["targetId"]
            session = cdp.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Network"):
                cdp.send(f"{domain}.enable", session)
            cdp.send(
                "Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1,
                mobile=False,
            )  # fmt: skip
            cdp.send("Page.navigate", session, url=url)
            cdp.wait_for("Page.loadEventFired", timeout)
            yield Page(cdp, session, width, height)
        finally:
            cdp.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)
