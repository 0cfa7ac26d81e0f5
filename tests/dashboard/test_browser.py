"""The dashboard in a real headless Chromium (Debian's ``chromium``, driven by
Playwright for Python; never ``playwright install``).  Each test saves screenshots of
the pages it visits under its ``tmp_path``."""

from __future__ import annotations

import os
import shutil

import pytest
from dash_harness import eventually, path_of, start_dashboard

import livelong
from livelong import GenServer, Supervisor, receive

sync_api = pytest.importorskip("playwright.sync_api")  # a test extra

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
    reason="Debian's chromium is not installed (scripts/test installs it)",
)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    # (bypass_csp: Playwright evaluates its wait_for_function strings with eval, which
    # the dashboard's Content-Security-Policy forbids; test_security checks the header)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


async def idle():
    await receive(lambda m: False)


def spawn_named(node, name, fn=idle, *args):
    def go():
        pid = livelong.spawn(fn, *args)
        livelong.register(name, pid)
        return pid

    return node.call(go)


class Worker(GenServer):
    def init(self, arg):
        return arg


def test_the_overview_updates(node, dash, page, tmp_path):
    page.goto(dash.url)
    page.wait_for_function("document.querySelector('#conn').textContent === 'live'")
    page.wait_for_function("document.querySelector('#card-uptime').textContent !== '—'")
    first = page.inner_text("#card-uptime")
    page.wait_for_function(
        f"document.querySelector('#card-uptime').textContent !== {first!r}"
    )  # a second sample came
    assert int(page.inner_text("#card-processes").replace(",", "")) >= 1
    assert page.locator(".chart canvas").count() >= 6  # the uPlot charts are drawn
    page.screenshot(path=str(tmp_path / "overview.png"))


def test_find_a_process_by_name_open_it_and_kill_it(node, dash, page, tmp_path):
    pid = spawn_named(node, "needle-in-haystack")
    for i in range(20):
        spawn_named(node, f"hay-{i}")
    page.goto(dash.url + "#/processes")
    page.fill("#filter", "needle")
    page.wait_for_function("document.querySelectorAll('#procs tbody tr').length === 1")
    row = page.locator("#procs tbody tr", has_text="needle-in-haystack")
    assert row.count() == 1 and "1–1 of 1" in page.inner_text("#range")
    page.screenshot(path=str(tmp_path / "processes.png"))
    row.click()
    page.wait_for_function(f"document.querySelector('#pid')?.textContent === {repr(pid)!r}")
    assert page.inner_text("#status") == "waiting"
    page.screenshot(path=str(tmp_path / "process.png"))

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#kill")
    page.wait_for_function(f"document.querySelector('#pid')?.textContent === {repr(pid)!r}")
    assert node.alive(pid)  # dismissed: nothing was sent

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#kill")
    page.locator("#gone").wait_for()
    assert not node.alive(pid)
    page.screenshot(path=str(tmp_path / "process-killed.png"))


def test_the_tree_shows_a_restart_with_its_count(node, dash, page, tmp_path):
    async def go():
        return await Supervisor.start(
            [Worker.child_spec(1, id="alpha"), Worker.child_spec(2, id="beta")],
            strategy="one_for_one",
            name="app_sup",
        )

    sup = node.call(go)
    alpha = node.info(sup)["links"][0]
    page.goto(dash.url + "#/tree")
    page.locator("#trees li.child", has_text="'alpha'").wait_for()
    eventually(lambda: dash.sampler.ticks >= 1, "the sampler has seen the tree")
    page.screenshot(path=str(tmp_path / "tree.png"))
    page.goto(dash.url + f"#/process/{path_of(alpha)}")
    page.wait_for_function(f"document.querySelector('#pid')?.textContent === {repr(alpha)!r}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#kill")
    page.locator("#gone").wait_for()
    page.goto(dash.url + "#/tree")
    restarted = page.locator("#trees li.child", has_text="'alpha'").locator(
        ".restarts[data-restarts='1']"
    )
    restarted.wait_for()
    assert restarted.inner_text() == "restarts: 1"
    assert (
        page.locator("#trees li.child", has_text="'beta'")
        .locator(".restarts[data-restarts='0']")
        .count()
        == 1
    )
    assert "killed" in page.locator("#trees li.child", has_text="'alpha'").inner_text()
    page.screenshot(path=str(tmp_path / "tree-restarted.png"))


def test_a_growing_mailbox_raises_an_alert(node, page, tmp_path):
    d = start_dashboard(node, mailbox_alert_seconds=2)
    try:
        sink = spawn_named(node, "swamped-sink")

        async def feeder(target):
            while True:
                livelong.send(target, "more work")
                await livelong.Process.sleep(0.1)

        spawn_named(node, "feeder", feeder, sink)
        page.goto(d.url + "#/alerts")
        alert = page.locator(".alert[data-kind='mailbox_growing']", has_text=repr(sink))
        alert.wait_for()
        assert "grew from" in alert.inner_text()
        page.screenshot(path=str(tmp_path / "alerts.png"))
    finally:
        node.call(d.stop)


def test_graph_and_rescue_pages_render(node, dash, page, tmp_path):
    async def linked():
        livelong.link(livelong.spawn(idle))
        await receive(lambda m: False)

    pid = spawn_named(node, "linked-one", linked)
    page.goto(dash.url + f"#/graph/{path_of(pid)}")
    page.locator("svg circle").nth(1).wait_for()
    page.screenshot(path=str(tmp_path / "graph.png"))
    page.goto(dash.rescue_url)
    page.wait_for_function(
        "document.querySelector('#who').textContent.startsWith('No process holds')"
    )
    page.screenshot(path=str(tmp_path / "rescue.png"))


def test_after_20_reloads_no_client_is_left_and_the_sampler_stops(node, dash, page):
    page.goto(dash.url)
    for _ in range(20):
        page.reload()
        page.wait_for_function("document.querySelector('#conn').textContent === 'live'")
    assert dash.clients >= 1 and dash.sampler.running
    page.goto("about:blank")
    eventually(lambda: dash.clients == 0, "every client is gone")
    eventually(lambda: not dash.sampler.running, "the sampler stops")


async def echo():
    while True:
        match await receive():
            case ("ping", frm, n):
                livelong.send(frm, ("pong", n))


async def pinger(target):
    n = 0
    while True:
        n += 1
        livelong.send(target, ("ping", livelong.self(), n))
        await receive()
        await livelong.Process.sleep(0.02)


def test_a_trace_limited_to_5_shows_5(node, dash, page, tmp_path):
    target = spawn_named(node, "echo", echo)
    spawn_named(node, "pinger", pinger, target)
    page.goto(dash.url + f"#/trace/{path_of(target)}")
    page.fill("#trace-limit", "5")
    page.click("#trace-start")
    page.wait_for_function(
        "document.querySelector('#trace-status').textContent.includes('limit reached')"
    )
    page.wait_for_function("document.querySelectorAll('#seq g.event').length > 0")
    assert page.locator("#seq g.event").count() == 5
    assert "5 events; limit reached: 5 events" in page.inner_text("#trace-status")
    page.screenshot(path=str(tmp_path / "trace.png"))
