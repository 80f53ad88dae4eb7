"""Looks at a parigot dashboard in a real browser: headless Chromium driven through
chromedriver (Debian's `chromium` and `chromium-driver`), over the W3C WebDriver protocol.

Usage: dashboard_check.py URL SCREENSHOT [CALL_FUNCTION CALL_ARGS [wave|json]]

Loads URL, waits until the page has drawn, and prints one JSON object with what it shows:
  {"title", "picture": [service names in the picture], "arrows": [[from, to], ...],
   "services": [rows of the services table, as lists of cells],
   "functions": [...], "tables": [data-table names], "traces": [roots of the listed traces]}
With CALL_FUNCTION (an option of the call form, `ns:pkg/iface.function`) and CALL_ARGS (WAVE,
in parentheses, or with `json` the function's request message in JSON), it also makes that
call through the form and adds
  "call_result": the text shown, and "call_trace": the spans (service and name) of the trace
  the page then shows, once one rooted at that function appears.
Saves a screenshot of the whole page to SCREENSHOT (PNG).
"""

import base64
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Driver:
    """A WebDriver session in a chromedriver of its own."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [CHROMEDRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.profile = tempfile.mkdtemp(prefix="parigot-chromium-")
        deadline = time.time() + 30
        while True:
            try:
                self.request("GET", "/status")
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1400,1800", f"--user-data-dir={self.profile}",
        ]
        capabilities = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": arguments},
        }}}
        self.session = self.request("POST", "/session", capabilities)["sessionId"]

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read() or b"{}").get("value")

    def command(self, method, path, body=None):
        return self.request(method, f"/session/{self.session}{path}", body)

    def script(self, source, *args):
        return self.command("POST", "/execute/sync", {"script": source, "args": list(args)})

    def wait_for(self, source, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.script(source)
            if value:
                return value
            time.sleep(0.2)
        raise SystemExit(f"the page did not show {what} within {timeout} s")

    def close(self):
        try:
            self.command("DELETE", "")
        finally:
            self.process.kill()
            self.process.wait()


SHOWN = """
const texts = (selector) => [...document.querySelectorAll(selector)].map((e) => e.textContent.trim());
const rows = (selector) => [...document.querySelectorAll(selector)].map(
  (row) => [...row.querySelectorAll("td")].map((cell) => cell.textContent.trim()));
return {
  title: document.title,
  picture: [...document.querySelectorAll("#wos-picture g.node[data-service]")].map((g) => g.dataset.service),
  arrows: [...document.querySelectorAll("#wos-picture path.arrow")].map((p) => [p.dataset.from, p.dataset.to]),
  services: rows("#services-table tbody tr"),
  functions: rows("#functions-table tbody tr"),
  tables: [...document.querySelectorAll("#tables [data-table]")].map((t) => t.dataset.table),
  traces: texts("#traces li .root"),
};
"""


def main():
    if len(sys.argv) not in (3, 5, 6):
        sys.exit(__doc__)
    url, screenshot = sys.argv[1], sys.argv[2]
    driver = Driver()
    try:
        driver.command("POST", "/url", {"url": url})
        driver.wait_for("return document.body.dataset.ready === 'true'", "its first drawing")
        shown = driver.script(SHOWN)
        if len(sys.argv) >= 5:
            function, args = sys.argv[3], sys.argv[4]
            mode = sys.argv[5] if len(sys.argv) == 6 else "wave"
            driver.script(
                "const [f, a, m] = arguments;"
                "document.getElementById('call-function').value = f;"
                "document.getElementById('call-mode').value = m;"
                "document.getElementById('call-args').value = a;"
                "document.getElementById('call-button').click();", function, args, mode)
            shown["call_result"] = driver.wait_for(
                "const r = document.getElementById('call-result').textContent;"
                "return r && r !== 'calling…' ? r : null;", "the call's result")
            name = function.rsplit(".", 1)[1]
            shown["call_trace"] = driver.wait_for(
                "const name = arguments[0];"
                "const root = document.querySelector('#traces li.chosen .root');"
                "if (!root || !root.textContent.endsWith('#' + name)) return null;"
                "return [...document.querySelectorAll('#waterfall .span-row')].map("
                "  (row) => [row.dataset.service, row.querySelector('.label').textContent]);"
                .replace("arguments[0]", json.dumps(name)), "the call's trace")
        # The whole page, not only the window.
        height = driver.script("return document.documentElement.scrollHeight")
        driver.command("POST", "/window/rect", {"width": 1400, "height": min(max(height, 900), 4000)})
        png = driver.command("GET", "/screenshot")
        with open(screenshot, "wb") as out:
            out.write(base64.b64decode(png))
        print(json.dumps(shown))
    finally:
        driver.close()


if __name__ == "__main__":
    main()
