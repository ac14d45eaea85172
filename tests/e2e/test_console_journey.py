"""Real-browser journeys of the console (issue 16): (a) a dispatcher clears the morning's new
reports with filters, the keyboard and batch dispatch; (b) an English-language staff user walks
the case flow with no Chinese on screen except user data. Both at 1366 px: the menu fits in one
line and no page scrolls sideways."""

import re

import pytest

from fengqiao.cases import services
from fengqiao.cases.models import Case, Category
from fengqiao.org.models import Department, Place, Station, User
from tests.cases.helpers import claimed, dispatched, make_case, rule
from tests.conftest import PASSWORD, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1366
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

# Visible text nodes with their nearest element; text inside form controls and inside elements
# marked as user data or as Chinese (the language switch's own name) is left out.
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement, text = node.textContent.trim();
    if (!text || !el) continue;
    if (el.closest("script, style, select, option, textarea, .user-data, [lang^=zh]")) continue;
    if (!el.checkVisibility || !el.checkVisibility()) continue;
    out.push(text);
  }
  return out;
}"""


def sign_in(chromium, live_server, user, *, english=False):
    context = chromium.new_context(
        locale="en-GB" if english else "zh-CN", viewport={"width": WIDTH, "height": 768}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/login/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_selector("#welcome")
    return page


def assert_fits(page, name):
    """Nothing wider than the window; the menu on one line, every entry inside the bar."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{name}: page is {width}px wide"
    bar = page.evaluate(
        """() => { const t = document.querySelector('.topbar'), n = t.querySelector('nav');
        const r = t.getBoundingClientRect();
        const items = [...t.querySelectorAll('nav > a, nav > details > summary, .right > *')];
        return {height: r.height, right: r.right,
                out: items.filter(e => e.getBoundingClientRect().right > r.right + 1).length,
                tops: [...new Set(items.map(e => Math.round(e.getBoundingClientRect().top / 8)))].length,
                nav: n ? n.scrollWidth <= n.clientWidth + 1 : true}; }"""
    )
    assert bar["out"] == 0 and bar["nav"], f"{name}: the menu overflows {bar}"
    assert bar["tops"] == 1 and bar["height"] < 70, f"{name}: the menu wraps {bar}"


def known_data():
    """Strings that are user or reference data (names typed by people, places, units)."""
    values = set()
    values.update(Category.objects.values_list("name", flat=True))
    values.update(Place.objects.values_list("name", flat=True))
    values.update(Department.objects.values_list("name", flat=True))
    values.update(Station.objects.values_list("name", flat=True))
    values.update(User.objects.values_list("display_name", flat=True))
    for case in Case.objects.all():
        values.update([case.description, case.location_text, case.result, case.place.full_name])
    return sorted((v for v in values if v), key=len, reverse=True)


def chinese_left(page):
    data = known_data()
    left = []
    for text in page.evaluate(VISIBLE_TEXT):
        for value in data:
            text = text.replace(value, "")
        if HAN.search(text):
            left.append(text)
    return left


def chips(page, facet):
    return {
        a.get_attribute("data-value"): int(a.locator(".count").inner_text())
        for a in page.locator(f'[data-facet="{facet}"] a.chip').all()
    }


def test_dispatcher_clears_the_morning_reports(chromium, live_server, county, users):
    rule(county)  # 市容环境 → 综合行政执法局
    morning = [make_case(county.grid_a, location_text=f"幸福路{i}号") for i in range(4)]
    fire = make_case(county.grid_a, code="safety_fire", location_text="菜场后门")  # no rule
    accepted = services.accept(make_case(county.grid_a, location_text="老街"), users["dispatcher"])
    asking = claimed(county.grid_a, users, county)
    services.request_extension(asking, users["department_staff"], note="需协调", data={"days": 2})
    back = dispatched(county.grid_a, users, county)
    services.return_case(back, users["department_staff"], data={"reason": "不属本部门职责"})
    elsewhere = make_case(county.grid_c)  # outside the dispatcher's jurisdiction

    page = sign_in(chromium, live_server, users["dispatcher"])
    page.goto(f"{live_server.url}/cases/dispatch/")
    assert_fits(page, "console")
    # The extension request and the return wait on top, before the incoming list.
    attention = page.inner_text("#attention")
    assert asking.number in attention and back.number in attention and "不属本部门职责" in attention
    assert (
        page.locator("#attention").bounding_box()["y"]
        < page.locator("#incoming").bounding_box()["y"]
    )
    # New reports first (the urgent one on top), then the accepted, the returned; never others'.
    rows = page.locator("#incoming tbody tr").evaluate_all("rs => rs.map(r => r.id)")
    assert rows[0] == f"case-{fire.pk}" and f"case-{elsewhere.pk}" not in rows
    assert rows.index(f"case-{accepted.pk}") > max(rows.index(f"case-{c.pk}") for c in morning)
    assert chips(page, "state") == {"reported": 5, "accepted": 1, "returned": 1}
    shot(page, "console-1-morning")

    # Filter: the new reports, then only 市容环境; the counts follow.
    page.click('[data-facet="state"] a.chip[data-value="reported"]')
    page.wait_for_url("**state=reported**")
    assert page.locator("#incoming tbody tr").count() == 5
    cityscape = Category.objects.get(code="cityscape").pk
    assert chips(page, "category")[str(cityscape)] == 4
    page.click(f'[data-facet="category"] a.chip[data-value="{cityscape}"]')
    page.wait_for_url(f"**category={cityscape}**")
    assert page.locator("#incoming tbody tr").count() == 4
    shot(page, "console-2-filtered")

    # A colleague dispatches one of them meanwhile: the batch reports it, the rest go through.
    services.dispatch(morning[0], users["dispatcher"], data={"department": county.centre.pk})
    page.locator("body").press("a")  # keyboard: tick all
    assert page.locator("input.row-select:checked").count() == 4
    assert "4" in page.inner_text("#selected-count")
    page.select_option("#bulk-action", "dispatch")
    page.locator("#bulk-form input[name=note]").press("Control+Enter")
    page.wait_for_selector("text=已派单 3 件")
    assert morning[0].number in page.inner_text("#bulk-results")
    assert "category=" in page.url  # the filters are kept
    shot(page, "console-3-batch-dispatched")

    # The urgent report has no rule: picked with the keyboard and sent to one unit.
    page.goto(f"{live_server.url}/cases/dispatch/?state=reported")
    assert page.locator("#incoming tbody tr").count() == 1
    page.locator("body").press("j")
    page.locator("body").press("x")
    assert page.locator(f"#case-{fire.pk} input.row-select").is_checked()
    page.select_option("#bulk-department", str(county.centre.pk))
    page.click("#bulk-dispatch")
    page.wait_for_selector("text=已派单 1 件")
    assert page.locator("#incoming tbody tr td.select").count() == 0  # nothing new is left
    shot(page, "console-4-cleared")
    for case in morning[1:] + [fire]:
        case.refresh_from_db()
        assert case.state == "dispatched"
    assert Case.objects.get(pk=fire.pk).department == county.centre
    assert Case.objects.get(pk=elsewhere.pk).state == "reported"

    # The same list on the queue and the board; every menu fits.
    for url in ("/cases/", "/cases/?tab=all", "/cases/supervision/", "/inbox/", "/"):
        page.goto(f"{live_server.url}{url}")
        assert_fits(page, url)


def test_english_staff_walk_the_case_flow_without_chinese(chromium, live_server, county, users):
    rule(county)
    case = make_case(
        county.grid_a, description="小区东门垃圾堆了三天", location_text="幸福路12号东门"
    )

    # The dispatcher switches to English in the user menu.
    page = sign_in(chromium, live_server, users["dispatcher"])
    page.click("#user-menu summary")
    with page.expect_navigation():
        page.select_option("#user-menu select.lang-switch", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_fits(page, "home (en)")

    def check(p, name):
        p.wait_for_load_state()
        assert_fits(p, name)
        left = chinese_left(p)
        assert not left, f"{name}: Chinese left on screen: {left[:8]}"
        shot(p, f"english-{name}")

    check(page, "home")
    page.goto(f"{live_server.url}/cases/dispatch/")
    check(page, "console")
    page.click(f"#case-{case.pk} a.case-link")
    check(page, "case-reported")
    page.click("#panel-accept summary")
    page.click("#panel-accept #act-accept")
    page.wait_for_selector("#case-state.accepted")
    check(page, "case-accepted")
    page.click("#panel-dispatch summary")
    page.click("#panel-dispatch #act-dispatch")
    page.wait_for_selector("#case-state.dispatched")
    check(page, "case-dispatched")

    # The department, in English from its first visit (browser language), claims and resolves.
    dept = sign_in(chromium, live_server, users["department_staff"], english=True)
    check(dept, "dept-home")
    dept.goto(f"{live_server.url}/inbox/")
    assert case.number in dept.inner_text("#notifications")
    check(dept, "dept-inbox")
    dept.goto(f"{live_server.url}/cases/")
    check(dept, "dept-queue")
    dept.click(f"#case-{case.pk} a.case-link")
    dept.click("#act-claim")
    dept.wait_for_selector("#case-state.claimed")
    check(dept, "dept-claimed")
    dept.click("#panel-resolve summary")
    dept.fill("#resolve-result", "已组织清运")
    dept.click("#panel-resolve #act-resolve")
    dept.wait_for_selector("#case-state.resolved")
    check(dept, "dept-resolved")

    # The grid worker verifies; the case closes. The supervision board too.
    worker = sign_in(chromium, live_server, users["grid_worker"], english=True)
    worker.goto(f"{live_server.url}/cases/{case.pk}/")
    worker.click("#panel-verify summary")
    worker.click("#panel-verify #act-verify")
    worker.wait_for_selector("#case-state.closed")
    check(worker, "worker-closed")
    page.goto(f"{live_server.url}/cases/supervision/")
    check(page, "supervision")
    # The resident's pages have their own language switch.
    resident = page.context.browser.new_context(viewport={"width": 390, "height": 844})
    rpage = resident.new_page()
    rpage.goto(f"{live_server.url}/r/t/{case.tracking_code}/")
    with rpage.expect_navigation():
        rpage.select_option("select.lang-switch", "en")
    assert rpage.locator("html").get_attribute("lang") == "en"
    assert not HAN.search(rpage.inner_text("#case-state"))
    shot(rpage, "english-resident-tracking")
    resident.close()
