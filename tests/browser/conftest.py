"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server.

- Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``), never a Playwright
  download; without it every test here is skipped with that instruction.
- axe-core comes from ``node_modules/`` (``npm ci``; ``make test`` runs it when npm is there).
  Without it the journeys still run and only the accessibility checks are left out;
  ``test_accessibility.py::test_axe_core_is_installed_and_checks_pages`` reports the skip with the reason.
- Every page a journey visits is saved full-page under ``tests/artifacts/<test name>/``
  (git-ignored), numbered in the order visited.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "demo-pass-2026"  # tests.factories.UserFactory's password

NO_CHROMIUM = (
    f"needs Debian's Chromium at {CHROMIUM}: apt-get install chromium (never `playwright install`)"
)
NO_AXE = f"axe-core is not installed ({AXE_JS.relative_to(ROOT)} is missing): run npm ci"

# Debian's Chromium as ../shared/STACK.md §5 launches it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in the test thread; the ORM would refuse without it
# (tests/conftest.py sets it too; repeated here so this folder stands on its own).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# axe impacts that fail a page.
BLOCKING_IMPACTS = ("serious", "critical")
# Rules switched off, each for markup that is Django's own (django/contrib/admin/templates),
# not ours. Keep each entry narrow and explained.
AXE_DISABLED_RULES: dict[str, str] = {}  # none needed with axe-core 4.14.1


def pytest_collection_modifyitems(config, items):
    """Without Debian's Chromium, skip the tests of this folder with how to install it."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=NO_CHROMIUM)
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def axe_source() -> str | None:
    return AXE_JS.read_text(encoding="utf-8") if AXE_JS.exists() else None


class Journey:
    """One test's walk through the site: URLs on the live server, numbered full-page
    screenshots, and axe-core checks of the pages that matter."""

    def __init__(self, base_url: str, folder: Path, axe_source: str | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.folder = folder
        self.axe_source = axe_source
        self.shots: list[Path] = []
        self.checked: list[str] = []

    def url(self, path: str) -> str:
        return self.base_url + path

    def shot(self, page: Page, name: str) -> Path:
        """Save the whole page as ``NN-name.png``."""
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{len(self.shots) + 1:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path

    def login(
        self,
        page: Page,
        username: str,
        *,
        code: str | None = None,
        password: str = PASSWORD,
        check_a11y: bool = False,
    ) -> None:
        """Sign in on the shared login page (facilitators add their authenticator code)."""
        page.goto(self.url("/accounts/login/"))
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        if code is not None:
            page.get_by_label("Authenticator code").fill(code)
        self.shot(page, "login")
        if check_a11y:
            self.check_a11y(page, "login page")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Signed in as").or_(page.locator("#user-tools"))).to_be_visible()

    def check_a11y(self, page: Page, label: str) -> None:
        """No axe-core violation of impact serious or critical on the page as it is now.

        Injected with ``page.evaluate`` (DevTools evaluation, which the site's strict CSP,
        rightly, does not govern; an inline <script> tag would be refused)."""
        if self.axe_source is None:
            return  # reported once, by test_accessibility.py
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe_source)
        options = {
            "resultTypes": ["violations"],
            "rules": {rule: {"enabled": False} for rule in AXE_DISABLED_RULES},
        }
        violations = page.evaluate(
            """async (options) => {
                const result = await window.axe.run(document, options);
                return result.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
                    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html,
                                                 summary: n.failureSummary, impact: n.impact})),
                }));
            }""",
            options,
        )
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        self.checked.append(label)
        assert not blocking, f"axe-core on the {label} ({page.url}):\n" + _describe(blocking)


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['url']}>")
        for node in v["nodes"][:8]:
            lines.append(f"    {node['target']}: {node['html'][:200]}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
    return "\n".join(lines)


@pytest.fixture
def journey(request, live_server, axe_source) -> Journey:
    folder = ARTIFACTS / request.node.originalname
    shutil.rmtree(folder, ignore_errors=True)
    return Journey(live_server.url, folder, axe_source)


@pytest.fixture(autouse=True)
def _timeouts(request):
    """Fail in seconds, not half a minute: every page here is local."""
    if "page" in request.fixturenames or "new_context" in request.fixturenames:
        expect.set_options(timeout=10_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture
def held_builds(monkeypatch) -> list[int]:
    """Packet builds the app queues wait here instead of going to the broker; the test then
    runs each through the real Celery task in-process, like a worker would, when it chooses
    (see ``run_held_build``). This keeps the build off the request, so the page shows a
    queued build and packets.js has a bar to move."""
    queued: list[int] = []
    monkeypatch.setattr("documents.packets.services._enqueue", queued.append)
    return queued


def run_held_build(build_id: int) -> None:
    from documents.tasks import build_packet_task

    result = build_packet_task.apply(args=[build_id], throw=True)
    assert result.successful(), result.traceback


def totp_code(device) -> str:
    """The authenticator app's current code for a django-otp ``TOTPDevice``."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
