// report.html's own stylesheet and drawing script (plain ES2017, no network, no framework).
#include "report/html_page.hpp"

namespace loadlab::report {

std::string_view report_stylesheet() noexcept {
  return R"css(
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #fbfbfd; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #d8dbe3; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 4px 0 6px; }
ul.notes { color: #4b5263; margin: 4px 0 16px; }
nav a { margin-right: 12px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #d8dbe3; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef0f5; }
td.confirmed { background: #e3f5e6; }
td.refuted { background: #fbe3e3; }
td.skipped { background: #f1f1f1; color: #666; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 16px; }
.panel { background: #fff; border: 1px solid #d8dbe3; border-radius: 6px; padding: 10px; min-width: 0; }
.facts { font-size: 12px; color: #4b5263; margin-bottom: 6px; }
.facts span { display: inline-block; margin-right: 12px; }
.chart { margin: 6px 0 12px; }
.empty { color: #999; font-style: italic; }
)css";
}

std::string_view report_script() noexcept {
  return R"js(
(function () {
  'use strict';
  var state = { charts: [], errors: [] };
  window.__loadlab = state;
  var palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  var doc = JSON.parse(document.getElementById('report-data').textContent);
  var root = document.getElementById('report');

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function slug(text, index) { return 's' + index + '-' + String(text).toLowerCase().replace(/[^a-z0-9]+/g, '-'); }
  function maxOf(chart) {
    var best = null;
    chart.lines.forEach(function (line) {
      line.values.forEach(function (v) { if (v !== null && isFinite(v) && (best === null || v > best)) best = v; });
    });
    return best;
  }
  function drawTable(table) {
    var node = el('table');
    var head = el('tr');
    table.header.forEach(function (h) { head.appendChild(el('th', '', h)); });
    node.appendChild(head);
    table.rows.forEach(function (row) {
      var tr = el('tr');
      row.forEach(function (cell) {
        var word = String(cell).split(/[ :]/)[0];
        var cls = (word === 'confirmed' || word === 'refuted' || word === 'skipped') ? word : '';
        tr.appendChild(el('td', cls, cell));
      });
      node.appendChild(tr);
    });
    return node;
  }
  function markerPlugin(markers) {
    return { hooks: { draw: [function (u) {
      var ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = '#c00';
      ctx.fillStyle = '#c00';
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.font = (10 * devicePixelRatio) + 'px sans-serif';
      markers.forEach(function (m) {
        var x = Math.round(u.valToPos(m[0], 'x', true));
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillText(m[1], x + 3, u.bbox.top + 12 * devicePixelRatio);
      });
      ctx.restore();
    }] } };
  }
  function drawChart(container, chart, sharedMax) {
    var width = Math.max(360, (container.clientWidth || 480) - 4);
    var stepped = chart.steps && uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    var series = [{ label: 't (s)' }].concat(chart.lines.map(function (line, i) {
      return { label: line.label, stroke: palette[i % palette.length], width: 1.5, paths: stepped, spanGaps: false };
    }));
    var data = [chart.x].concat(chart.lines.map(function (line) { return line.values; }));
    var opts = {
      title: chart.title, width: width, height: 210, series: series,
      scales: { x: { time: false }, y: { range: function (u, min, max) {
        var top = Math.max(sharedMax || 0, max || 0);
        return [Math.min(0, min || 0), top > 0 ? top * 1.08 : 1];
      } } },
      axes: [{ label: 'seconds' }, { label: chart.unit, size: 60 }],
      plugins: [markerPlugin(chart.markers || [])]
    };
    var plot = new uPlot(opts, data, container);
    var values = 0;
    chart.lines.forEach(function (line) { line.values.forEach(function (v) { if (v !== null) values++; }); });
    state.charts.push({ title: chart.title, points: chart.x.length, values: values, plot: plot });
  }
  function drawSection(section, index) {
    var node = el('section');
    var heading = el('h2', '', section.title);
    heading.id = slug(section.title, index);
    node.appendChild(heading);
    if (section.text) node.appendChild(el('p', '', section.text));
    section.tables.forEach(function (t) { node.appendChild(drawTable(t)); });
    var shared = {};
    section.panels.forEach(function (panel) {
      panel.charts.forEach(function (chart) {
        var m = maxOf(chart);
        if (m !== null) shared[chart.title] = Math.max(shared[chart.title] || 0, m);
      });
    });
    var grid = el('div', 'panels');
    node.appendChild(grid);
    root.appendChild(node);
    section.panels.forEach(function (panel) {
      var box = el('div', 'panel');
      box.appendChild(el('h3', '', panel.title));
      var facts = el('div', 'facts');
      panel.facts.forEach(function (f) { facts.appendChild(el('span', '', f[0] + ': ' + f[1])); });
      box.appendChild(facts);
      grid.appendChild(box);
      if (panel.charts.length === 0) box.appendChild(el('div', 'empty', 'no time series recorded'));
      panel.charts.forEach(function (chart) {
        var holder = el('div', 'chart');
        holder.setAttribute('data-chart', chart.title);
        box.appendChild(holder);
        drawChart(holder, chart, shared[chart.title]);
      });
    });
  }
  try {
    root.appendChild(el('h1', '', doc.title));
    if (doc.notes.length) {
      var notes = el('ul', 'notes');
      doc.notes.forEach(function (n) { notes.appendChild(el('li', '', n)); });
      root.appendChild(notes);
    }
    var nav = el('nav');
    doc.sections.forEach(function (s, i) {
      var a = el('a', '', s.title);
      a.href = '#' + slug(s.title, i);
      nav.appendChild(a);
    });
    root.appendChild(nav);
    doc.sections.forEach(drawSection);
    state.done = true;
  } catch (e) {
    state.errors.push(String(e && e.stack || e));
    throw e;
  }
})();
)js";
}

}  // namespace loadlab::report
