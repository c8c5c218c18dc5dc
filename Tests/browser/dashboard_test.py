#!/usr/bin/env python3
"""End-to-end test of the dashboard in a real headless Chromium (Debian's chromium + chromedriver,
driven by selenium), against a real `errand serve` with its own data dir.

Usage: dashboard_test.py --errand PATH [--screenshots DIR]

Each check prints `ok` or `FAIL`; the last line is `N passed, N failed`. Screenshots of every page
at 1280x800 and 390x844 go to --screenshots (default .build-artifacts/screenshots).
"""
import argparse
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import zipfile

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


class Daemon:
    """A throwaway `errand serve` on a free loopback port."""

    def __init__(self, errand, require_tokens=False):
        self.errand = errand
        self.data = tempfile.mkdtemp(prefix="errand-browser-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.data, "serve.log"), "wb")
        self.token = None
        extra = []
        if require_tokens:
            # The first admin token, made in the data dir before the daemon starts (as an operator would).
            self.token = subprocess.run([errand, "token", "create", "browser-admin", "--role", "admin", "--data-dir", self.data],
                                        capture_output=True, check=True, timeout=60).stdout.decode().strip()
            extra = ["--require-tokens"]
        self.process = subprocess.Popen(
            [errand, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data, *extra],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the daemon did not answer: " + open(self.log.name).read())

    def cli(self, *args):
        env = dict(os.environ, ERRAND_NO_AUTOSTART="1")
        if self.token:
            env["ERRAND_TOKEN"] = self.token
        result = subprocess.run([self.errand, "--host", self.url, *args], capture_output=True, env=env, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"errand {' '.join(args)} failed: {result.stderr.decode()}")
        return result.stdout

    def start(self, name, script):
        run = json.loads(self.cli("start", "--json", "--name", name, "--", "sh", "-c", script))
        return run["id"]

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


class Browser:
    def __init__(self, downloads, screenshots):
        options = Options()
        for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,800", "--lang=en-US"]:
            options.add_argument(argument)
        if os.path.exists("/usr/bin/chromium"):
            options.binary_location = "/usr/bin/chromium"
        options.add_experimental_option("prefs", {
            "download.default_directory": downloads, "download.prompt_for_download": False})
        driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
        self.driver = webdriver.Chrome(service=Service(driver_path), options=options)
        self.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
        self.screenshots = screenshots
        self.size("desktop")

    def size(self, name):
        width, height = SIZES[name]
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": name == "phone"})

    def shoot(self, name):
        """Screenshots of the current page at both sizes (the page is reloaded at each size)."""
        for label in SIZES:
            self.size(label)
            time.sleep(0.3)
            self.driver.save_screenshot(os.path.join(self.screenshots, f"{name}-{label}.png"))
        self.size("desktop")

    def wait(self, condition, timeout=20, message=""):
        # Parts of a page are replaced while it is watched (the run summary), and pages change
        # after a click: a vanished element means "not yet", not a failure.
        # Chromium may also answer "node does not belong to the document" while a page is replaced.
        def attempt(_):
            try:
                return condition()
            except WebDriverException as error:
                if isinstance(error, (StaleElementReferenceException, NoSuchElementException)) or \
                        "does not belong to the document" in str(error):
                    return False
                raise
        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(attempt, message)

    def by_id(self, id):
        return self.driver.find_element(By.ID, id)

    def quit(self):
        self.driver.quit()


class AttackerSite:
    """Another origin (its own port) serving a page that forges a POST to `target` as soon as it loads."""

    def __init__(self, target):
        field = '{"argv": ["touch", "/tmp/errand-forged"], "x": "'
        page = (f'<!doctype html><form method="post" enctype="text/plain" action="{target}">'
                f"<input name='{field}' value='\"}}'></form><script>document.forms[0].submit()</script>").encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def post(url, body, cookie=None):
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_finished(daemon, run_id):
    daemon.cli("wait", str(run_id), "--timeout", "30")


# --- Checks -------------------------------------------------------------------------------------

def check_html_output_is_text(daemon, browser):
    run_id = daemon.start("html-output", "echo '<script>window.pwned=1</script><b>bold</b>'; echo '<img src=x onerror=window.pwned=2>' >&2")
    wait_finished(daemon, run_id)
    browser.driver.get(f"{daemon.url}/runs/{run_id}")
    output = browser.by_id("output")
    assert "<script>window.pwned=1</script><b>bold</b>" in output.text, output.text
    assert "<img src=x onerror=window.pwned=2>" in output.text, output.text
    assert browser.driver.execute_script("return window.pwned === undefined"), "the output ran as script"
    assert not output.find_elements(By.TAG_NAME, "b") and not output.find_elements(By.TAG_NAME, "img"), "output became markup"
    browser.driver.get(f"{daemon.url}/runs")
    assert "<script>window.pwned=1</script>" in browser.driver.find_element(By.CSS_SELECTOR, "table.runs").text
    assert browser.driver.execute_script("return window.pwned === undefined")


def check_csrf(daemon, browser):
    run_id = daemon.start("csrf-target", "true")
    wait_finished(daemon, run_id)
    # Another site's form: no cookie of ours, no token.
    assert post(f"{daemon.url}/runs/{run_id}/remove", "back=/runs") == 403
    # The browser has our cookie, but the form lost its token: still refused.
    browser.driver.get(f"{daemon.url}/runs/{run_id}")
    browser.driver.execute_script("document.querySelector('#remove').form.querySelector('[name=csrf]').remove()")
    browser.by_id("remove").click()
    browser.wait(lambda: "Refused" in browser.driver.title, message="no refusal page")
    browser.shoot("refused")
    daemon.cli("get", str(run_id))  # still there
    # Another site's page posts a text/plain form to the API, the classic forgery of a JSON POST
    # (no CORS preflight): the daemon refuses it, and no run starts.
    before = len(json.loads(daemon.cli("get", "--json")))
    with AttackerSite(daemon.url + "/api/v1/runs") as attacker:
        browser.driver.get(attacker.url)
        browser.wait(lambda: "refused a cross-site POST" in browser.driver.page_source, message="the forged POST was not refused")
    assert len(json.loads(daemon.cli("get", "--json"))) == before, "a forged POST started a run"
    # The untouched form works.
    browser.driver.get(f"{daemon.url}/runs/{run_id}")
    browser.by_id("remove").click()
    browser.wait(lambda: browser.driver.current_url.endswith("/runs"), message="remove did not go back to /runs")
    assert f'href="/runs/{run_id}"' not in browser.driver.page_source


def check_live_run(daemon, browser):
    script = ("echo 'first line'; sleep 2; echo 'second line'; sleep 0.3; echo 'a problem' >&2; sleep 1; "
              "printf 'no newline'; sleep 0.5; echo ' then newline'; echo done")
    run_id = daemon.start("live-tail", script)
    browser.driver.get(f"{daemon.url}/runs/{run_id}")
    browser.driver.execute_script("window.notReloaded = true")
    # One atomic read: the summary that holds the badge is swapped in as the state changes.
    state = lambda: browser.driver.execute_script("return document.getElementById('run-state').textContent")
    assert state() in ("Running", "NotStarted"), state()
    browser.wait(lambda: "first line" in browser.by_id("output").text, message="first line never shown")
    browser.shoot("run-running")
    browser.wait(lambda: "second line" in browser.by_id("output").text, message="live output did not appear")
    browser.wait(lambda: state() == "Completed", message="the state never became Completed")
    browser.wait(lambda: "done" in browser.by_id("output").text)
    assert browser.driver.execute_script("return window.notReloaded === true"), "the page reloaded instead of tailing"
    lines = [line.text for line in browser.driver.find_elements(By.CSS_SELECTOR, "#output .l")]
    assert lines == ["first line", "second line", "a problem", "no newline then newline", "done"], lines
    assert not browser.by_id("live").is_displayed()
    # Reloaded, the server renders the same lines.
    browser.driver.refresh()
    again = [line.text for line in browser.driver.find_elements(By.CSS_SELECTOR, "#output .l")]
    assert again == lines, again
    assert "Exit code" in browser.by_id("summary").text
    browser.shoot("run-completed")
    return run_id


def check_sign_in(_daemon, browser, errand):
    """With --require-tokens: a page sends the browser to sign in; a wrong token is refused there; the right one
    lands on the page asked for, whose live tail runs on the session cookie; sign-out ends it."""
    guarded = Daemon(errand, require_tokens=True)
    try:
        run_id = guarded.start("signed-in-tail", "echo 'before sign-in'; sleep 4; echo 'after sign-in'")
        browser.driver.get(f"{guarded.url}/runs/{run_id}")
        browser.wait(lambda: "/sign-in" in browser.driver.current_url, message="no redirect to the sign-in page")
        assert "errand token create" in browser.driver.page_source
        browser.by_id("token").send_keys("errand_0123456789ab_" + "A" * 43)
        browser.by_id("sign-in").click()
        browser.wait(lambda: "not valid" in browser.by_id("sign-in-problem").text, message="a wrong token was not refused")
        browser.shoot("sign-in")
        browser.by_id("token").send_keys(guarded.token)
        browser.by_id("sign-in").click()
        browser.wait(lambda: browser.driver.current_url.endswith(f"/runs/{run_id}"), message="not sent back to the run")
        cookie = browser.driver.get_cookie("errand_session")
        assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and guarded.token not in cookie["value"], cookie
        assert browser.driver.execute_script("return document.cookie.indexOf('errand_session') === -1"), "script can read the session"
        browser.wait(lambda: "after sign-in" in browser.by_id("output").text, message="the live tail did not run on the cookie")
        browser.by_id("sign-out").click()
        browser.wait(lambda: browser.driver.current_url.endswith("/sign-in"), message="sign-out did not land on the sign-in page")
        browser.driver.get(f"{guarded.url}/jobs")
        browser.wait(lambda: "/sign-in" in browser.driver.current_url, message="still signed in after sign-out")
    finally:
        browser.driver.delete_all_cookies()
        guarded.stop()


def check_stderr_toggle(daemon, browser, run_id):
    browser.driver.get(f"{daemon.url}/runs/{run_id}")
    browser.driver.find_element(By.CSS_SELECTOR, '.toggles [data-show="error"]').click()
    shown = [line.text for line in browser.driver.find_elements(By.CSS_SELECTOR, "#output .l") if line.is_displayed()]
    assert shown == ["a problem"], shown
    assert "stream=error" in browser.driver.current_url
    assert "stream=error" in browser.by_id("download").get_attribute("href")
    browser.by_id("ts-toggle").click()
    first = browser.driver.find_element(By.CSS_SELECTOR, "#output .l.e")
    assert first.text.startswith("20") and first.text.endswith("a problem"), first.text
    browser.shoot("run-stderr")
    # Without JavaScript the same links reload the page with the toggle applied.
    browser.driver.get(f"{daemon.url}/runs/{run_id}?stream=output")
    shown = [line.text for line in browser.driver.find_elements(By.CSS_SELECTOR, "#output .l") if line.is_displayed()]
    assert "a problem" not in shown and "first line" in shown, shown


def check_download(daemon, browser, run_id, downloads):
    browser.driver.get(f"{daemon.url}/runs/{run_id}")
    browser.by_id("download").click()
    path = os.path.join(downloads, f"live-tail-{run_id}.log")
    browser.wait(lambda: os.path.exists(path) and os.path.getsize(path) > 0, message="no download")
    time.sleep(0.3)
    with open(path, "rb") as f:
        downloaded = f.read()
    logs = daemon.cli("logs", str(run_id))
    assert downloaded == logs, (downloaded, logs)


def check_runs_page(daemon, browser):
    sleeper = daemon.start("sleeper", "sleep 300")
    failing = daemon.start("nightly-report", "echo building; exit 3")
    wait_finished(daemon, failing)
    browser.driver.get(f"{daemon.url}/runs")
    header = [th.text for th in browser.driver.find_elements(By.CSS_SELECTOR, "table.runs th")][:7]
    assert header == ["Id", "Name", "Type", "State", "HasMoreData", "Location", "Command"], header
    browser.shoot("runs")
    # Filter by state through the form.
    select = browser.driver.find_element(By.NAME, "state")
    select.find_element(By.CSS_SELECTOR, 'option[value="Failed"]').click()
    browser.driver.find_element(By.CSS_SELECTOR, "form.filters button").click()
    browser.wait(lambda: "state=Failed" in browser.driver.current_url)
    names = [a.text for a in browser.driver.find_elements(By.CSS_SELECTOR, "table.runs td[data-label=Name] > a:first-child")]
    assert names == ["nightly-report"], names
    # Stop from the table.
    browser.driver.get(f"{daemon.url}/runs?name=sleeper")
    browser.driver.find_element(By.CSS_SELECTOR, f'form[action="/runs/{sleeper}/stop"] button').click()
    browser.wait(lambda: "Stopped" in browser.driver.find_element(By.CSS_SELECTOR, "table.runs").text, message="not stopped")
    assert "name=sleeper" in browser.driver.current_url


GREETER = """#!/bin/sh
echo "hello $1"
echo "args: $#"
sleep 2
echo "warn: $2" >&2
sleep "${3:-1}"
if [ "$1" = fail ]; then echo "failing on purpose" >&2; exit 3; fi
echo "<i>finished</i>"
"""


def make_zip(folder, files):
    path = os.path.join(folder, "package.zip")
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            archive.writestr(info, text)  # stored as given: random bytes stay 4 MiB
    return path


def api(daemon, method, path, body=None):
    request = urllib.request.Request(daemon.url + path, data=body, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def check_deploy_form(daemon, browser, folder):
    """Deploy a zip through the form; on the way, the schedule preview and its errors."""
    # 4 MiB that do not compress, so the upload takes a moment and reports progress.
    package = make_zip(folder, {"run.sh": GREETER, "data.bin": os.urandom(4 << 20)})
    browser.driver.get(f"{daemon.url}/deploy")
    browser.driver.find_element(By.ID, "job-name").send_keys("greeter")
    browser.driver.find_element(By.ID, "package").send_keys(package)
    # A schedule: words and the next instants appear while typing; a bad one shows its error by the field.
    browser.driver.find_element(By.CSS_SELECTOR, 'input[name=kind][value=scheduled]').click()
    cron = browser.by_id("cron")
    cron.send_keys("0 30 9 * * MON-FRI")
    browser.wait(lambda: len(browser.driver.find_elements(By.CSS_SELECTOR, "#preview-next li")) == 5, message="no preview")
    assert "09:30" in browser.by_id("preview-words").text, browser.by_id("preview-words").text
    error = browser.driver.find_element(By.CSS_SELECTOR, '[data-field="cron"] .error')
    cron.send_keys(Keys.CONTROL, "a")
    cron.send_keys("0 61 * * *")
    browser.wait(lambda: error.is_displayed() and "hour" in error.text, message="no error by the cron field")
    # A recurrence built from the controls: monthly on the last Friday.
    browser.driver.find_element(By.CSS_SELECTOR, 'input[name=form][value=recurrence]').click()
    browser.driver.find_element(By.CSS_SELECTOR, '#frequency option[value=Month]').click()
    browser.driver.find_element(By.CSS_SELECTOR, 'input[name=monthly][value=nth]').click()
    browser.driver.find_element(By.CSS_SELECTOR, '#nth option[value="-1"]').click()
    browser.wait(lambda: "last Friday" in browser.by_id("preview-words").text, message="recurrence preview")
    browser.shoot("deploy")
    # Deployed as a triggered job; the progress bar is watched on the way (kept in sessionStorage,
    # which survives the move to the job's page).
    browser.driver.find_element(By.CSS_SELECTOR, 'input[name=kind][value=triggered]').click()
    browser.driver.execute_script("""
        sessionStorage.setItem('progress', '[]');
        new MutationObserver(() => {
            const seen = JSON.parse(sessionStorage.getItem('progress'));
            seen.push([document.getElementById('progress').value, document.getElementById('progress-text').textContent]);
            sessionStorage.setItem('progress', JSON.stringify(seen));
        }).observe(document.getElementById('progress-text'), {childList: true, characterData: true, subtree: true});""")
    browser.by_id("deploy-button").click()
    browser.wait(lambda: browser.driver.current_url.endswith("/jobs/greeter"), message="not deployed")
    progress = json.loads(browser.driver.execute_script("return sessionStorage.getItem('progress')"))
    assert progress and progress[-1][0] == 100 and any("MiB" in text or "Uploaded" in text for _, text in progress), progress
    assert browser.by_id("job-state").text == "Idle"
    # A scheduled job through the form, on the recurrence the builder makes: monthly, last Friday, 18:30.
    browser.driver.get(f"{daemon.url}/deploy")
    browser.driver.find_element(By.ID, "job-name").send_keys("month-end")
    browser.driver.find_element(By.ID, "package").send_keys(make_zip(folder, {"run.sh": "#!/bin/sh\necho month end\n"}))
    browser.driver.find_element(By.CSS_SELECTOR, 'input[name=kind][value=scheduled]').click()
    browser.driver.find_element(By.CSS_SELECTOR, 'input[name=form][value=recurrence]').click()
    browser.driver.find_element(By.CSS_SELECTOR, '#frequency option[value=Month]').click()
    browser.driver.find_element(By.CSS_SELECTOR, 'input[name=monthly][value=nth]').click()
    browser.driver.find_element(By.CSS_SELECTOR, '#nth option[value="-1"]').click()
    browser.driver.execute_script("const t = document.getElementById('at-time'); t.value = '18:30';"
                                  "t.dispatchEvent(new Event('change'))")
    zone = browser.by_id("tz")
    zone.clear()
    zone.send_keys("Europe/London")
    browser.wait(lambda: "18:30" in browser.by_id("preview-words").text, message="recurrence preview")
    browser.by_id("deploy-button").click()
    browser.wait(lambda: browser.driver.current_url.endswith("/jobs/month-end"), message="scheduled job not deployed")
    words = browser.driver.find_element(By.CSS_SELECTOR, "p.words").text
    assert "last Friday" in words and "18:30" in words and "Europe/London" in words, words
    instants = [li.text for li in browser.driver.find_elements(By.CSS_SELECTOR, "ol.instants li")]
    assert len(instants) == 5 and all(" Fri " in i and "18:30:00" in i for i in instants), instants
    # A bad upload is refused with the API's message next to the package field.
    broken = os.path.join(folder, "broken.zip")
    with open(broken, "wb") as f:
        f.write(b"PK\x03\x04 this is not a zip")
    browser.driver.get(f"{daemon.url}/deploy")
    browser.driver.find_element(By.ID, "job-name").send_keys("broken")
    browser.driver.find_element(By.ID, "package").send_keys(broken)
    browser.by_id("deploy-button").click()
    package_error = browser.driver.find_element(By.CSS_SELECTOR, '[data-field="package"] .error')
    browser.wait(lambda: package_error.is_displayed() and package_error.text, message="no error for a broken zip")
    assert "/deploy" in browser.driver.current_url


def check_run_job(daemon, browser, downloads):
    """Run the deployed job with arguments from its page and follow the run to Completed."""
    browser.driver.get(f"{daemon.url}/jobs/greeter")
    browser.by_id("arguments").send_keys("world\nsecond arg")
    browser.by_id("run-button").click()
    browser.wait(lambda: "/runs/" in browser.driver.current_url, message="run now did not open the run")
    run_id = int(browser.driver.current_url.rsplit("/", 1)[1])
    browser.driver.execute_script("window.notReloaded = true")
    state = lambda: browser.driver.execute_script("return document.getElementById('run-state').textContent")
    assert state() in ("Running", "NotStarted"), state()
    browser.wait(lambda: "hello world" in browser.by_id("output").text, message="no live output")
    assert "args: 2" in browser.by_id("output").text
    browser.wait(lambda: state() == "Completed", message="never Completed")
    browser.wait(lambda: "<i>finished</i>" in browser.by_id("output").text)
    assert browser.driver.execute_script("return window.notReloaded === true")
    browser.driver.find_element(By.CSS_SELECTOR, '.toggles [data-show="error"]').click()
    shown = [line.text for line in browser.driver.find_elements(By.CSS_SELECTOR, "#output .l") if line.is_displayed()]
    assert shown == ["warn: second arg"], shown
    browser.driver.find_element(By.CSS_SELECTOR, '.toggles [data-show="all"]').click()
    browser.by_id("download").click()
    path = os.path.join(downloads, f"greeter-{run_id}.log")
    browser.wait(lambda: os.path.exists(path) and os.path.getsize(path) > 0, message="no download")
    time.sleep(0.3)
    with open(path, "rb") as f:
        assert f.read() == daemon.cli("logs", str(run_id))


def check_job_pages(daemon, browser, docs):
    """More history for the chart, a scheduled job for the list; screenshots; delete with confirmation."""
    # While a run is going, the job page's state and history refresh in place (no reload).
    run = api(daemon, "POST", "/api/v1/jobs/greeter/trigger", json.dumps({"arguments": ["live", "x", "0"]}).encode())
    browser.driver.get(f"{daemon.url}/jobs/greeter")
    browser.driver.execute_script("window.notReloaded = true")
    newest = lambda: browser.driver.execute_script(
        "const row = document.querySelector('#history tbody tr'); return row ? row.textContent : ''")
    assert str(run["id"]) in newest() and ("Running" in newest() or "NotStarted" in newest()), newest()
    assert browser.by_id("job-state").text == "Running"
    browser.wait(lambda: "Completed" in newest(), timeout=30, message="the history did not refresh itself")
    browser.wait(lambda: browser.by_id("job-state").text == "Idle", message="the state did not refresh itself")
    assert browser.driver.execute_script("return window.notReloaded === true")
    assert not browser.driver.find_elements(By.CSS_SELECTOR, "[data-refresh]"), "still refreshing after the run ended"
    for arguments in (["a", "x", "0.2"], ["fail", "x", "0.6"], ["b", "x", "2.4"], ["c", "x", "1.1"], ["fail", "x", "0"],
                      ["d", "x", "1.7"]):
        run = api(daemon, "POST", "/api/v1/jobs/greeter/trigger", json.dumps({"arguments": arguments}).encode())
        daemon.cli("wait", str(run["id"]), "--timeout", "30")
    folder = tempfile.mkdtemp(prefix="errand-pkg-")
    report = make_zip(folder, {"run.sh": "#!/bin/sh\necho report\n",
                               "settings.job": json.dumps({"schedule": "0 0 6 * * MON-FRI", "time_zone": "Europe/Paris"})})
    with open(report, "rb") as f:
        api(daemon, "PUT", "/api/v1/jobs/weekday-report", f.read())
    worker = make_zip(folder, {"run.sh": "#!/bin/sh\nwhile true; do echo polling; sleep 5; done\n"})
    with open(worker, "rb") as f:
        api(daemon, "PUT", "/api/v1/jobs/queue-worker?kind=continuous", f.read())
    shutil.rmtree(folder, ignore_errors=True)

    browser.driver.get(f"{daemon.url}/jobs")
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "table.jobs tbody tr")
    text = {row.find_element(By.CSS_SELECTOR, "td[data-label=Name] a").text: row.text for row in rows}
    assert set(text) == {"greeter", "month-end", "weekday-report", "queue-worker"}, text
    assert "Failed" not in text["greeter"] or "Completed" in text["greeter"]
    assert "scheduled" in text["weekday-report"] and "in " in text["weekday-report"], text["weekday-report"]
    assert browser.driver.find_elements(By.CSS_SELECTOR, "table.jobs svg.spark rect.bar-bad"), "no failure in a sparkline"
    browser.shoot("jobs")
    browser.driver.get(f"{daemon.url}/jobs/weekday-report")
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "ol.instants li")) == 5
    browser.shoot("job-scheduled")
    browser.driver.get(f"{daemon.url}/jobs/greeter")
    bars = browser.driver.find_elements(By.CSS_SELECTOR, "svg.chart:not(.narrow) rect")
    assert len(bars) == 8, len(bars)  # the run from the form, the live one and six more
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, "svg.chart:not(.narrow) rect.bar-bad")) == 2
    browser.shoot("job")
    if docs:
        os.makedirs(docs, exist_ok=True)
        browser.driver.get(f"{daemon.url}/jobs")
        browser.driver.save_screenshot(os.path.join(docs, "jobs.png"))
        browser.driver.get(f"{daemon.url}/jobs/greeter")
        browser.driver.find_element(By.CSS_SELECTOR, ".chart-box").screenshot(os.path.join(docs, "job-history.png"))
    # Stop the continuous job from its page, then delete it after confirming.
    browser.driver.get(f"{daemon.url}/jobs/queue-worker")
    browser.by_id("stop-job").click()
    browser.wait(lambda: browser.by_id("job-state").text == "Stopped", message="continuous job not stopped")
    browser.by_id("delete-job").click()
    browser.wait(lambda: browser.driver.current_url.endswith("/jobs/queue-worker/delete"))
    browser.shoot("job-delete")
    browser.by_id("confirm-delete").click()
    browser.wait(lambda: browser.driver.current_url.endswith("/jobs"))
    assert "queue-worker" not in browser.driver.find_element(By.CSS_SELECTOR, "table.jobs").text


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--errand", required=True)
    parser.add_argument("--screenshots", default=".build-artifacts/screenshots")
    parser.add_argument("--docs", help="also save the README's screenshots (jobs page, history chart) here")
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    for old in os.listdir(args.screenshots):
        if old.endswith(".png"):
            os.remove(os.path.join(args.screenshots, old))
    downloads = tempfile.mkdtemp(prefix="errand-downloads-")
    daemon = Daemon(os.path.abspath(args.errand))
    browser = None
    passed = failed = 0

    def check(name, function, *extra):
        nonlocal passed, failed
        started = time.time()
        try:
            result = function(daemon, browser, *extra)
            passed += 1
            print(f"ok   {name} ({time.time() - started:.1f} s)", flush=True)
            return True if result is None else result
        except Exception:
            failed += 1
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
            try:
                browser.driver.save_screenshot(os.path.join(args.screenshots, f"FAILED-{name.replace(' ', '-')}.png"))
            except Exception:
                pass
            return None

    try:
        browser = Browser(downloads, os.path.abspath(args.screenshots))
        check("a run's HTML output is shown as text", check_html_output_is_text)
        check("a POST without the CSRF token is refused", check_csrf)
        run_id = check("the run page tails a running run to Completed", check_live_run)
        if run_id:
            check("the stderr toggle and timestamps", check_stderr_toggle, run_id)
            check("the downloaded log equals errand logs", check_download, run_id, downloads)
        check("the runs table: columns, filter, stop", check_runs_page)
        check("sign in with a token, the live tail on the session cookie, sign out", check_sign_in, os.path.abspath(args.errand))
        packages = tempfile.mkdtemp(prefix="errand-packages-")
        if check("deploy a zip through the form (schedule preview, errors by the field)", check_deploy_form, packages):
            check("run the job with arguments: live to Completed, stderr, download", check_run_job, downloads)
            check("jobs list, job page chart, stop and delete a job", check_job_pages, args.docs)
        shutil.rmtree(packages, ignore_errors=True)
    finally:
        if browser:
            browser.quit()
        daemon.stop()
        shutil.rmtree(downloads, ignore_errors=True)
    print(f"dashboard (browser): {passed} passed, {failed} failed")
    print(f"screenshots in {args.screenshots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
