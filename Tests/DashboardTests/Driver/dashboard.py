#!/usr/bin/env python3
"""Drives the real CCTV Out dashboard in Debian's Chromium through Playwright (PyPI), for the
Swift end-to-end tests in Tests/DashboardTests and the front-end timing benchmark.

Usage: dashboard.py SCENARIO --base http://127.0.0.1:PORT --artifacts DIR [--arg key=value ...]

Talks to the test that started it over stdout/stdin: `STEP name` when it reaches a point where
the test must act (it then waits for a line `GO` on stdin), `METRIC {json}` for measurements,
`OK` at the end. Any failed expectation prints `FAIL reason`, saves a screenshot and exits 1.
Screenshots of every scenario are kept in the artifacts folder.
"""
import argparse
import json
import os
import sys
import time

from playwright.sync_api import sync_playwright, expect

CHROMIUM = "/usr/bin/chromium"


class Failure(Exception):
    pass


def say(line):
    print(line, flush=True)


def wait_for_go(step):
    say("STEP " + step)
    line = sys.stdin.readline()
    if line.strip() != "GO":
        raise Failure("the test did not answer GO after " + step + " (got %r)" % line)


def check(condition, message):
    if not condition:
        raise Failure(message)


def sign_in(page, args, expect_url=None):
    """Signs in at /login as --arg user=NAME password=SECRET (the dashboard needs an account)."""
    if expect_url is None:
        page.goto(args["base"] + "/login")
    page.fill("[data-testid=login-name]", args["user"])
    page.fill("[data-testid=login-password]", args["password"])
    page.click("[data-testid=login-submit]")
    page.wait_for_url(expect_url or args["base"] + "/", timeout=30000)


def ready(page, timeout=30000):
    page.wait_for_selector("body[data-ready='true']", timeout=timeout)


# ------------------------------------------------------------------ scenarios

def problems(page, args, shots):
    """The problems view at fleet scale: worst first, grouped by site incident, sortable, filter links."""
    total = int(args["cameras"])
    start = time.time()
    page.goto(args["base"] + "/")
    ready(page)
    page.wait_for_selector("[data-testid^='problem-']", timeout=60000)
    page.wait_for_function("() => performance.getEntriesByName('cctvout-problems-rendered').length > 0", timeout=60000)
    timing = page.evaluate("""() => {
        const paint = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
        const rendered = performance.getEntriesByName('cctvout-problems-rendered')[0];
        return { firstPaintMs: paint ? Math.round(paint.startTime) : null, interactiveMs: rendered ? Math.round(rendered.startTime) : null };
    }""")
    say("METRIC " + json.dumps(dict(timing, cameras=total, scenario="problems")))
    expect(page.locator("[data-testid='count-total']")).to_have_text(args["cameras_text"], timeout=60000)
    first = page.locator("#problemRows > tr").first
    check(first.get_attribute("data-state") == "LINE_DOWN", "the first line is not a line-down problem: %s" % first.get_attribute("data-state"))
    group = page.locator("[data-testid^='problem-group-']").first
    expect(group).to_be_visible()
    check("LINE_DOWN" == group.get_attribute("data-state"), "the site outage line is not LINE_DOWN")
    # Collapsed by default: its cameras are not listed until expanded.
    site_cams = int(args["site_cameras"])
    rows_before = page.locator("#problemRows > tr").count()
    group.locator("[data-testid^='expand-']").click()
    page.wait_for_function("(n) => document.querySelectorAll('#problemRows > tr.child').length >= n", arg=site_cams, timeout=20000)
    check(page.locator("#problemRows > tr").count() >= rows_before + site_cams, "expanding the site outage did not list its cameras")
    page.screenshot(path=shots("problems-expanded.png"), full_page=False)
    # Filters live in the URL: a link with a state filter shows only that state.
    page.goto(args["base"] + "/#state=CAMERA_DOWN")
    page.wait_for_function("() => document.querySelectorAll('#problemRows > tr').length > 0 && [...document.querySelectorAll('#problemRows > tr')].every((r) => r.dataset.state === 'CAMERA_DOWN')", timeout=20000)
    check(page.locator("#pState").input_value() == "CAMERA_DOWN", "the state filter did not follow the URL")
    # Sorting by id (descending) reorders and is kept in the URL.
    page.locator("[data-testid='sort-id']").click()
    page.locator("[data-testid='sort-id']").click()
    page.wait_for_function("() => location.hash.includes('sort=-id')", timeout=10000)
    sorted_desc = """() => { const ids = [...document.querySelectorAll('#problemRows > tr .c-id')].map((c) => c.textContent);
                                return ids.length > 1 && ids.every((v, i) => i === 0 || ids[i - 1] >= v); }"""
    try:
        page.wait_for_function(sorted_desc, timeout=10000)
    except Exception:
        ids = page.eval_on_selector_all("#problemRows > tr .c-id", "(cells) => cells.map((c) => c.textContent)")
        raise Failure("not sorted by id descending: %s" % ids[:5])
    # Search across fields (a camera's name).
    page.goto(args["base"] + "/#q=" + args["search"])
    page.wait_for_function("(id) => !!document.querySelector(`[data-testid='problem-${id}']`) && document.querySelectorAll('#problemRows > tr').length === 1", arg=args["search_hit"], timeout=20000)
    page.goto(args["base"] + "/")
    ready(page)
    page.wait_for_selector("[data-testid^='problem-group-']", timeout=20000)
    page.screenshot(path=shots("problems.png"), full_page=False)
    # The all-cameras tab pages the whole fleet.
    page.locator("[data-testid='tab-cameras']").click()
    expect(page.locator("[data-testid='page-info']")).to_contain_text(args["cameras_text"], timeout=20000)


def live_cut(page, args, shots):
    """A line cut made after the page loaded appears without a reload, and alerts the operator."""
    page.goto(args["base"] + "/")
    ready(page)
    page.wait_for_selector("#conn[data-conn='connected']", timeout=20000)
    camera = args["camera"]
    check(page.locator("[data-testid='problem-%s']" % camera).count() == 0, camera + " is already listed before the cut")
    alerts_before = int(page.evaluate("() => Number(document.body.dataset.alerts || 0)"))
    wait_for_go("cut")
    row = page.locator("[data-testid='problem-%s']" % camera)
    expect(row).to_be_visible(timeout=120000)
    expect(row).to_have_attribute("data-state", "LINE_DOWN", timeout=60000)
    page.wait_for_function("(n) => Number(document.body.dataset.alerts || 0) > n", arg=alerts_before, timeout=60000)
    page.screenshot(path=shots("live-line-cut.png"), full_page=False)


def deep_link(page, args, shots):
    """The link in a delivered notification opens exactly the camera and incident it names, also
    when the reader has to sign in first."""
    link = args["link"]
    page.goto(link)
    if "sign_in_on_the_way" in args:
        page.wait_for_url(__import__("re").compile(r".*/login#"), timeout=20000)
        sign_in(page, args, expect_url=link)
    ready(page)
    drawer = page.locator("[data-testid='detail-panel']")
    expect(drawer).to_be_visible(timeout=20000)
    expect(page.locator("[data-testid='detail-title']")).to_contain_text(args["camera"], timeout=20000)
    marked = page.locator("[data-testid='detail-issue-%s']" % args["incident"])
    expect(marked).to_be_visible(timeout=20000)
    expect(marked).to_have_class(__import__("re").compile(r"\bhighlight\b"))
    page.screenshot(path=shots("deep-link.png"), full_page=False)


def phone_ack(page, args, shots):
    """At 390×844 the problems view shows id, name, state and the actions without horizontal
    scrolling, and an incident is acknowledged with two taps and a name."""
    page.goto(args["base"] + "/")
    ready(page)
    camera = args["camera"]
    row = page.locator("[data-testid='problem-%s']" % camera)
    expect(row).to_be_visible(timeout=60000)
    width = page.evaluate("() => window.innerWidth")
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    check(scroll <= width, "the page scrolls sideways: %d > %d" % (scroll, width))
    for col in ["state", "id", "name", "actions"]:
        cell = row.locator("[data-col='%s']" % col)
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        check(box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, "%s is cut off: %s" % (col, box))
    check(camera in row.locator("[data-col='id']").inner_text(), "the id is not shown")
    page.screenshot(path=shots("phone-problems.png"), full_page=False)
    button = row.locator("[data-testid^='issue-action-acknowledge-']")
    expect(button).to_be_visible()
    button.tap()
    note = row.locator("[data-testid^='issue-note-']")
    expect(note).to_be_visible()
    note.fill("현장 확인 중")
    row.locator("[data-testid^='issue-send-']").tap()
    expect(row.locator("[data-issue-state='ACKNOWLEDGED']")).to_be_visible(timeout=20000)
    page.screenshot(path=shots("phone-acknowledged.png"), full_page=False)


def timing(page, args, shots):
    """One cold page load: first contentful paint and the problems list rendered (for the benchmark)."""
    page.goto(args["base"] + "/")
    ready(page, timeout=120000)
    page.wait_for_function("() => performance.getEntriesByName('cctvout-problems-rendered').length > 0", timeout=120000)
    timing = page.evaluate("""() => {
        const paint = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
        return { firstPaintMs: paint ? Math.round(paint.startTime) : null, interactiveMs: Math.round(performance.getEntriesByName('cctvout-problems-rendered')[0].startTime) };
    }""")
    say("METRIC " + json.dumps(dict(timing, cameras=int(args.get("cameras", "0")), scenario="timing")))


def maintenance(page, args, shots):
    """Planned work: a weekly window for a site (every Sunday 02:00-04:00), edited; a window now for
    a camera, ended early."""
    page.goto(args["base"] + "/#view=planned")
    ready(page)
    expect(page.locator("[data-testid='planned-panel']")).to_be_visible()
    page.select_option("[data-testid='mw-scope']", "site")
    page.fill("[data-testid='mw-value']", args["site"])
    page.check("[data-testid='mw-kind-weekly']")
    page.check("[data-testid='mw-day-7']")
    page.fill("[data-testid='mw-time']", "02:00")
    page.fill("[data-testid='mw-duration']", "120")
    page.fill("[data-testid='mw-zone']", "Asia/Seoul")
    page.fill("[data-testid='mw-reason']", "정기 점검")
    page.click("[data-testid='mw-save']")
    row = page.locator("[data-testid^='mw-']").filter(has_text=args["site"]).filter(has_text="02:00–04:00")
    expect(row.first).to_be_visible(timeout=20000)
    row.first.locator("[data-testid^='mw-edit-']").click()
    page.fill("[data-testid='mw-duration']", "180")
    page.click("[data-testid='mw-save']")
    expect(page.locator("tr[data-testid^='mw-']").filter(has_text="02:00–05:00").first).to_be_visible(timeout=20000)
    check(page.locator("tr[data-testid^='mw-']").filter(has_text="02:00–04:00").count() == 0, "the edit made a second window instead of changing it")
    # A window from now for one camera is in force at once, and can be ended early.
    page.select_option("[data-testid='mw-scope']", "camera")
    page.fill("[data-testid='mw-value']", args["camera"])
    page.check("[data-testid='mw-kind-now']")
    page.fill("[data-testid='mw-minutes']", "30")
    page.click("[data-testid='mw-save']")
    now_row = page.locator("tr[data-testid^='mw-'][data-in-force='true']").filter(has_text=args["camera"])
    expect(now_row).to_be_visible(timeout=20000)
    page.screenshot(path=shots("maintenance.png"), full_page=False)
    now_row.locator("[data-testid^='mw-end-']").click()
    expect(page.locator("tr[data-testid^='mw-']").filter(has_text=args["camera"])).to_have_count(0, timeout=20000)


def sla_download(page, args, shots):
    """Availability per line team, and the monthly SLA report downloaded as XLSX and CSV."""
    page.goto(args["base"] + "/#view=reports")
    ready(page)
    page.select_option("[data-testid='rep-by']", "lineTeam")
    page.click("[data-testid='rep-show']")
    expect(page.locator("[data-testid='avail-line-team']")).to_be_visible(timeout=30000)
    page.fill("[data-testid='sla-month']", args["month"])
    page.dispatch_event("[data-testid='sla-month']", "change")
    page.click("[data-testid='sla-show']")
    expect(page.locator("[data-testid='sla-lineTeam-line-team']")).to_be_visible(timeout=30000)
    page.screenshot(path=shots("reports.png"), full_page=False)
    for kind, magic in [("xlsx", b"PK"), ("csv", "\ufeff구분".encode("utf-8"))]:
        with page.expect_download(timeout=60000) as info:
            page.click("[data-testid='sla-%s']" % kind)
        download = info.value
        path = shots("sla." + kind)
        download.save_as(path)
        with open(path, "rb") as f:
            head = f.read(64)
        check(head.startswith(magic), "%s download does not look like one: %r" % (kind, head[:16]))
        check(download.suggested_filename.endswith("." + kind), "file name %s" % download.suggested_filename)
        wait_for_go("downloaded-" + kind)


def bulk_ack(page, args, shots):
    """Bulk actions: the problems filtered to one state, all selected with one box, acknowledged
    with one button; every selected incident is acknowledged and the selection is cleared."""
    ids = args["cameras"].split(",")
    page.goto(args["base"] + "/#state=" + args["state"])
    ready(page)
    for camera in ids:
        expect(page.locator("[data-testid='problem-%s'] [data-issue-state='OPEN']" % camera)).to_be_visible(timeout=120000)
    check(page.locator("#problemRows > tr").count() == len(ids), "the filter shows other problems too")
    expect(page.locator("[data-testid='bulk-bar']")).to_be_hidden()
    page.locator("[data-testid='select-all']").check()
    expect(page.locator("[data-testid='bulk-bar']")).to_be_visible()
    expect(page.locator("[data-testid='bulk-count']")).to_contain_text(str(len(ids)))
    page.screenshot(path=shots("selected.png"), full_page=False)
    page.locator("[data-testid='bulk-acknowledge']").click()
    for camera in ids:
        expect(page.locator("[data-testid='problem-%s'] [data-issue-state='ACKNOWLEDGED']" % camera)).to_be_visible(timeout=30000)
    expect(page.locator("[data-testid='bulk-bar']")).to_be_hidden(timeout=10000)
    page.screenshot(path=shots("acknowledged.png"), full_page=False)


def onvif_device(page, args, shots):
    """The camera panel shows what the camera says it is and its clock (red when skewed), and a
    camera that reports another serial number is announced live as replaced."""
    page.goto(args["base"] + "/#camera=" + args["camera"])
    ready(page)
    page.wait_for_selector("#conn[data-conn='connected']", timeout=20000)
    device = page.locator("[data-testid='detail-device']")
    expect(device).to_contain_text(args["serial"], timeout=60000)
    clock = page.locator("[data-testid='detail-clock']")
    expect(clock).to_contain_text(args["clock"], timeout=60000)
    expect(clock).to_have_class(__import__("re").compile(r"\bbad\b"))
    page.screenshot(path=shots("device.png"), full_page=False)
    wait_for_go("replace")
    message = page.locator("[data-testid='message-warn']")
    expect(message).to_contain_text(args["new_serial"], timeout=60000)
    expect(device).to_contain_text(args["new_serial"], timeout=60000)
    page.screenshot(path=shots("replaced.png"), full_page=False)


SCENARIOS = {"onvif_device": onvif_device, "timing": timing, "maintenance": maintenance, "sla_download": sla_download, "problems": problems, "live_cut": live_cut, "deep_link": deep_link, "phone_ack": phone_ack, "bulk_ack": bulk_ack}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--base", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--arg", action="append", default=[])
    parser.add_argument("--phone", action="store_true", help="a 390x844 touch screen")
    parser.add_argument("--locale", default="ko-KR")
    options = parser.parse_args()
    args = dict(a.split("=", 1) for a in options.arg)
    args["base"] = options.base.rstrip("/")
    os.makedirs(options.artifacts, exist_ok=True)
    shots = lambda name: os.path.join(options.artifacts, options.scenario + "-" + name if not name.startswith(options.scenario) else name)
    chromium = os.environ.get("CCTVOUT_CHROMIUM", CHROMIUM)
    if not os.path.exists(chromium):
        say("FAIL chromium is not installed at %s: it comes with the Debian package `chromium` (scripts/install-deps.sh)" % chromium)
        return 1
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-dev-shm-usage"])
        accept_downloads = True
        try:
            if options.phone:
                context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale=options.locale, timezone_id="Asia/Seoul", accept_downloads=True)
            else:
                context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale=options.locale, timezone_id="Asia/Seoul", accept_downloads=accept_downloads)
            context.grant_permissions(["notifications"], origin=args["base"])
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            try:
                if "user" in args and "sign_in_on_the_way" not in args:
                    sign_in(page, args)
                SCENARIOS[options.scenario](page, args, shots)
                real = [e for e in errors if "Failed to load resource" not in e]
                check(not real, "the page logged errors: %s" % real[:5])
            except Exception as error:  # noqa: BLE001 - every failure is reported the same way
                try:
                    page.screenshot(path=shots("failure.png"), full_page=True)
                except Exception:  # noqa: BLE001
                    pass
                say("FAIL %s: %s (page errors: %s)" % (type(error).__name__, error, errors[:5]))
                return 1
        finally:
            browser.close()
    say("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
