/* Sandan (三单): the leader dashboard (templates/dashboards/index.html).
 *
 * Fetches /api/v1/dashboards/{overdue,trend,forecast} with the page's session cookie and draws
 * them with ECharts (SVG renderer: crisp on phones, and every bar is a clickable element).
 * Clicking a bar, or a unit's button in the table under the chart, lists that unit's overdue
 * items from the item list API (the `items_url` each bar carries), page by page.
 * Texts come translated from the page (#dashboard-config); nothing is built with innerHTML.
 * window.SandanDashboard exposes drill(orgId) and the charts, for the browser tests.
 */
(function () {
  "use strict";

  var root = document.querySelector('[data-testid="dashboard"]');
  var configTag = document.getElementById("dashboard-config");
  if (!root || !configTag || !window.echarts) return;
  var config = JSON.parse(configTag.textContent);
  var text = config.text;
  var charts = {};
  var bars = [];
  var whole = null;
  var LEVEL_COLOURS = ["#adb5bd", "#ffc107", "#fd7e14", "#dc3545", "#842029", "#4a1014"];

  function part(testid) {
    return root.querySelector('[data-testid="' + testid + '"]');
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  function levelName(level) {
    var name = format(text.level, { n: level });
    if (level === 0) return text.overdue;
    return config.levels[level] ? name + " " + config.levels[level] : name;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(url + ": " + response.status);
        return response.json();
      });
  }

  function chart(testid) {
    var el = part(testid);
    var made = window.echarts.init(el, null, { renderer: "svg", locale: config.locale });
    charts[testid] = made;
    if (window.ResizeObserver) new ResizeObserver(function () { made.resize(); }).observe(el);
    return made;
  }

  function element(tag, className, content) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (content !== undefined) el.textContent = content;
    return el;
  }

  function localTime(iso) {
    return new Date(iso).toLocaleString(config.locale === "EN" ? "en" : "zh-CN",
                                        { dateStyle: "short", timeStyle: "short" });
  }

  /* --- overdue per child unit, and per level ---------------------------------------------- */

  function levelsOf(board) {
    var seen = {};
    board.levels.forEach(function (l) { seen[l.level] = true; });
    return Object.keys(seen).map(Number).sort(function (a, b) { return a - b; });
  }

  function drawOverdue(board) {
    bars = board.children.slice();
    if (board.own) {
      bars.push({ org_id: board.org_id, name: text.own, overdue: board.own, own: true,
                  levels: [], items_url: board.items_url });
    }
    part("overdue-total").textContent = "· " + board.total;
    var levels = levelsOf(board);
    var series = levels.map(function (level) {
      return {
        name: levelName(level), type: "bar", stack: "overdue", barMaxWidth: 28,
        itemStyle: { color: LEVEL_COLOURS[Math.min(level, LEVEL_COLOURS.length - 1)] },
        data: bars.map(function (bar) {
          if (bar.own) return null;
          var found = bar.levels.filter(function (l) { return l.level === level; })[0];
          return found ? found.count : 0;
        }),
      };
    });
    if (board.own) {
      series.push({ name: text.own, type: "bar", stack: "overdue", barMaxWidth: 28,
                    itemStyle: { color: "#6c757d" },
                    data: bars.map(function (bar) { return bar.own ? bar.overdue : null; }) });
    }
    var overdue = chart("chart-overdue");
    overdue.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: bars.map(function (b) { return b.name; }),
               axisLabel: { width: 110, overflow: "truncate" } },
      series: series,
    });
    overdue.on("click", function (params) {
      var bar = bars[params.dataIndex];
      if (bar && !bar.own) drill(bar.org_id, bar);
    });
    whole = { org_id: board.org_id, name: board.name, overdue: board.total, total: true,
              items_url: board.items_url };
    fillTable(bars.concat([whole]));
    var byLevel = chart("chart-levels");
    byLevel.setOption({
      tooltip: { trigger: "item", confine: true },
      series: [{ type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}: {c}" },
                 data: board.levels.map(function (l) {
                   return { name: levelName(l.level), value: l.count,
                            itemStyle: { color: LEVEL_COLOURS[Math.min(l.level, 5)] } };
                 }) }],
    });
  }

  function fillTable(rows) {
    var body = part("overdue-table").querySelector("tbody");
    body.replaceChildren();
    rows.forEach(function (bar) {
      var tr = element("tr", bar.total ? "fw-semibold" : "");
      var name = element("td");
      if (bar.own || bar.total) {
        name.textContent = bar.total ? text.total : bar.name;
      } else {
        var link = element("a", "", bar.name);
        link.href = config.unit_url + bar.org_id;
        link.setAttribute("data-testid", "unit-link-" + bar.org_id);
        name.appendChild(link);
      }
      tr.appendChild(name);
      tr.appendChild(element("td", "text-end", String(bar.overdue)));
      var cell = element("td", "text-end");
      if (!bar.own) {  // the item list has no "this unit only" filter: no list for that row
        var button = element("button", "btn btn-sm btn-outline-danger", text.list);
        button.type = "button";
        button.disabled = bar.overdue === 0;
        button.setAttribute("data-testid", "drill-" + (bar.total ? "all" : bar.org_id));
        button.addEventListener("click", function () { drill(bar.org_id, bar); });
        cell.appendChild(button);
      }
      tr.appendChild(cell);
      body.appendChild(tr);
    });
  }

  /* --- drill-down: the item list API for one unit ------------------------------------------ */

  var drillRun = 0;

  function drill(orgId, bar) {
    bar = bar || bars.filter(function (b) { return b.org_id === orgId && !b.own; })[0] ||
      (whole && whole.org_id === orgId ? whole : null);
    if (!bar) return Promise.resolve();
    var run = ++drillRun;
    var box = part("drilldown");
    var list = part("drilldown-list");
    box.hidden = false;
    box.setAttribute("data-state", "loading");
    box.setAttribute("data-unit", String(bar.org_id));
    part("drilldown-title").textContent = format(text.drill_title, { unit: bar.name });
    list.replaceChildren();
    return page(bar.items_url, run, true);
  }

  function page(url, run, first) {
    var box = part("drilldown");
    var more = part("drilldown-more");
    more.hidden = true;
    return getJSON(url + "&limit=50").then(function (body) {
      if (run !== drillRun) return;
      body.items.forEach(function (item) { part("drilldown-list").appendChild(itemRow(item)); });
      if (first && !body.items.length) {
        part("drilldown-list").appendChild(element("li", "list-group-item", text.none));
      }
      if (body.next_cursor) {
        more.hidden = false;
        more.onclick = function () {
          box.setAttribute("data-state", "loading");
          page(url.split("&cursor=")[0] + "&cursor=" + encodeURIComponent(body.next_cursor),
               run, false);
        };
      }
      box.setAttribute("data-state", "ready");
    }).catch(function () { box.setAttribute("data-state", "error"); });
  }

  function itemRow(item) {
    var li = element("li", "list-group-item d-flex flex-wrap justify-content-between column-gap-2");
    li.setAttribute("data-testid", "drilldown-item");
    li.setAttribute("data-item-id", String(item.id));
    var link = element("a", "", item.title);
    link.href = config.item_url + item.id;
    li.appendChild(link);
    var due = element("span", "text-nowrap text-danger",
                      text.due + " " + (item.due_at ? localTime(item.due_at) : "—"));
    li.appendChild(due);
    return li;
  }

  /* --- trend and forecast ------------------------------------------------------------------ */

  function drawTrend(trend) {
    var labels = trend.buckets.map(function (b) { return localTime(b.start).split(" ")[0]; });
    chart("chart-trend").setOption({
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0 },
      grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: labels },
      yAxis: [{ type: "value", minInterval: 1 },
              { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: text.on_time, type: "bar", stack: "closed", itemStyle: { color: "#198754" },
          data: trend.buckets.map(function (b) { return b.on_time; }) },
        { name: text.late, type: "bar", stack: "closed", itemStyle: { color: "#dc3545" },
          data: trend.buckets.map(function (b) { return b.late; }) },
        { name: text.rate, type: "line", yAxisIndex: 1, connectNulls: true,
          itemStyle: { color: "#0d6efd" },
          data: trend.buckets.map(function (b) {
            return b.rate === null ? null : Math.round(b.rate * 1000) / 10;
          }) },
      ],
    });
  }

  function drawForecast(forecast) {
    var total = forecast.levels.reduce(function (sum, l) { return sum + l.count; }, 0);
    part("forecast-total").textContent = "· " + total;
    chart("chart-forecast").setOption({
      tooltip: { trigger: "axis", confine: true },
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: forecast.levels.map(function (l) {
        return levelName(l.level); }), axisLabel: { interval: 0, overflow: "truncate", width: 80 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", barMaxWidth: 32, data: forecast.levels.map(function (l) {
        return { value: l.count, itemStyle: { color: LEVEL_COLOURS[Math.min(l.level, 5)] } };
      }) }],
    });
    var list = part("forecast-list");
    list.replaceChildren();
    forecast.items.forEach(function (entry) {
      var li = element("li", "list-group-item d-flex flex-wrap justify-content-between column-gap-2");
      li.setAttribute("data-testid", "forecast-item");
      li.setAttribute("data-item-id", String(entry.item_id));
      var link = element("a", "", entry.title);
      link.href = config.item_url + entry.item_id;
      li.appendChild(link);
      li.appendChild(element("span", "text-nowrap",
                             levelName(entry.level) + " · " + localTime(entry.at)));
      list.appendChild(li);
    });
    if (!forecast.items.length) list.appendChild(element("li", "list-group-item", text.none));
  }

  function fail() {
    root.setAttribute("data-state", "error");
    var box = part("dashboard-error");
    box.textContent = text.error;
    box.hidden = false;
  }

  Promise.all([
    getJSON(config.overdue_url).then(drawOverdue),
    getJSON(config.trend_url).then(drawTrend),
    getJSON(config.forecast_url).then(drawForecast),
  ]).then(function () { root.setAttribute("data-state", "ready"); }, fail);

  window.SandanDashboard = { drill: drill, charts: charts };
})();
