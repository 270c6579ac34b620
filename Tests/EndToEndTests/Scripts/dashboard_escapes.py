"""Signs in to the dashboard in Chromium (Playwright, Debian's chromium) and reports whether a
hostile camera name ran as script or rendered as text, and any Content-Security-Policy violation.

usage: dashboard_escapes.py BASE_URL NAME PASSWORD HOSTILE_TEXT
prints one JSON object: {"dialogs": [...], "violations": [...], "rowText": "...", "injectedImages": N, "detailText": "..."}
"""
import json
import sys

from playwright.sync_api import sync_playwright

base, name, password, hostile = sys.argv[1:5]
result = {"dialogs": [], "violations": [], "rowText": "", "injectedImages": -1, "detailText": "", "errors": []}
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless=new"])
    page = browser.new_page()
    page.on("dialog", lambda dialog: (result["dialogs"].append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: result["violations"].append(message.text) if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: result["errors"].append(str(error)))
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => console.log('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
    page.goto(base + "/login")
    page.fill("[data-testid=login-name]", name)
    page.fill("[data-testid=login-password]", password)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(base + "/", timeout=15000)
    page.goto(base + "/#view=cameras")   # the first page is "needs attention"; the hostile camera is listed under all cameras
    row = page.locator("[data-testid=camera-rows] tr", has_text=hostile).first
    row.wait_for(timeout=15000)
    result["rowText"] = row.inner_text()
    row.click()
    page.locator("[data-testid=detail-body]").wait_for(timeout=10000)
    page.wait_for_timeout(500)
    result["detailText"] = page.locator("[data-testid=detail-panel]").inner_text()
    result["injectedImages"] = page.evaluate("document.querySelectorAll('img[src=\"x\"]').length")
    browser.close()
print(json.dumps(result))
