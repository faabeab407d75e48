"""The leader's dashboard: the overdue chart is drawn from live data, and a bar lists exactly
the items the API returns for that unit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.words import zh

#: the overdue chart as ECharts holds it: one category per bar, and each bar's stacked total
READ_CHART = """() => {
  const chart = window.SandanDashboard.charts['chart-overdue'];
  const option = chart.getOption();
  const names = option.yAxis[0].data;
  const totals = names.map((_, i) => option.series.reduce((sum, s) => sum + (s.data[i] || 0), 0));
  return {names, totals};
}"""
#: where bar `index` is drawn, in pixels inside the chart's box (halfway along the bar)
BAR_CENTRE = """([index, total]) => window.SandanDashboard.charts['chart-overdue']
  .convertToPixel({gridIndex: 0}, [total / 2, index])"""


def _overdue_ids(page: Any, unit_id: int) -> list[int]:
    """The API's overdue items of a unit's subtree, asked with the page's own session."""
    answer = page.request.get("/api/v1/items", params={
        "unit": unit_id, "overdue": "true", "limit": 200})
    assert answer.ok, answer.text()
    return [item["id"] for item in answer.json()["items"]]


def _units_in_table(page: Any) -> dict[str, int]:
    """Unit name -> id, from the links in the table under the chart."""
    links = page.get_by_test_id("overdue-table").locator('a[data-testid^="unit-link-"]')
    return {link.inner_text(): int(link.get_attribute("data-testid").rsplit("-", 1)[1])
            for link in links.all()}


def _check_chart_then_click_biggest_bar(page: Any) -> str:
    """Compare every bar with the API, click the tallest and compare its list; its name."""
    expect(page.get_by_test_id("dashboard")).to_have_attribute("data-state", "ready")
    drawn = page.evaluate(READ_CHART)
    units = _units_in_table(page)
    counted = {name: len(_overdue_ids(page, units[name])) for name in drawn["names"]
               if name in units}
    assert counted, f"no bar of {drawn['names']} names a unit of the table {units}"
    assert {n: t for n, t in zip(drawn["names"], drawn["totals"], strict=True) if n in units} \
        == counted, "every bar shows the unit's overdue items as the API counts them"
    assert sum(counted.values()) > 0, "the demo county has overdue items to draw"

    index = max(range(len(drawn["names"])), key=lambda i: drawn["totals"][i])
    name = drawn["names"][index]
    x, y = page.evaluate(BAR_CENTRE, [index, drawn["totals"][index]])
    page.get_by_test_id("chart-overdue").click(position={"x": x, "y": y})
    drill = page.get_by_test_id("drilldown")
    expect(drill).to_have_attribute("data-state", "ready")
    expect(drill).to_have_attribute("data-unit", str(units[name]))
    listed = [int(row.get_attribute("data-item-id"))
              for row in drill.get_by_test_id("drilldown-item").all()]
    assert listed == _overdue_ids(page, units[name]) and listed, \
        f"the list under bar {name!r} is the API's overdue items of that unit"
    return name


def test_leader_sees_overdue_chart_from_live_data_and_drills_down(
    page_as: Callable[..., Any],
) -> None:
    leader = page_as("lingdao")
    leader.goto("/")
    leader.get_by_role("navigation").get_by_role("link", name=zh("Dashboard")).click()
    county_bar = _check_chart_then_click_biggest_bar(leader)

    # one level down: the unit behind the tallest bar has its own dashboard, bars and lists
    leader.get_by_test_id("overdue-table").get_by_role("link", name=county_bar).click()
    expect(leader.get_by_test_id("unit-trail")).to_contain_text(county_bar)
    _check_chart_then_click_biggest_bar(leader)
