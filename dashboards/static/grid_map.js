/* 五色图 map (grid.html): draws the micro-grid polygons of data/grid_polygons.js as inline
   SVG — no tiles, no request leaving the site — with a township switcher, zoom, a card per
   tapped grid and a list view (the only view for grids without a polygon). The data file
   is written by dashboards/pages/grid.py from the dbt mart mart_grid_map: one array per grid
   in the order of its "fields"; colours are indexes into "colours"; coordinates are integer
   map units (SVG path text, y pointing south). Words are msgids wrapped in T(…): on the English
   pages (en/) the page's labels carry their English ("text"), from dashboards/i18n/en.yml. */
(function () {
  "use strict";
  var root = document.getElementById("gm");
  if (!root) return;
  var SVGNS = "http://www.w3.org/2000/svg";
  var labels = JSON.parse(document.getElementById("gm-labels").textContent);
  var statusEl = root.querySelector(".gm-status");
  var mapbox = root.querySelector(".gm-mapbox");
  var svg = root.querySelector(".gm-map");
  var card = root.querySelector(".gm-card");
  var list = root.querySelector(".gm-list");
  var listBody = root.querySelector(".gm-list-body");
  var switchButtons = Array.prototype.slice.call(root.querySelectorAll(".gm-switch button"));
  var townSections = Array.prototype.slice.call(root.querySelectorAll(".gm-town"));
  var data = null, F = {}, colours = [], byTown = {}, byCode = {};
  var active = null, selected = null, full = null, view = null, listTown = null;

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }
  function thousands(s) { return s.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function num(v) { return v === null || v === undefined ? "—" : thousands(String(v)); }
  function fixed1(v) {
    if (v === null || v === undefined) return "—";
    var parts = Number(v).toFixed(1).split(".");
    return thousands(parts[0]) + "." + parts[1];
  }
  function get(g, name) { return g[F[name]]; }
  function colourOf(g, name) { var i = get(g, name); return i === null || i === undefined ? null : colours[i]; }
  function zh(c) { return (c && labels.colours[c]) || c || "—"; }
  function swatch(c) { return '<span class="swatch c-' + esc(c) + '" aria-hidden="true"></span>'; }
  function setStatus(text) { statusEl.textContent = text; statusEl.hidden = !text; }
  function T(s) { return (labels.text && labels.text[s]) || s; }
  // a value from the exports (a grid's name), marked as Chinese on the English pages
  function raw(s) { return labels.text && /[\u3400-\u9fff]/.test(s) ? '<span lang="zh">' + esc(s) + "</span>" : esc(s); }
  function fmt(s, o) { return s.replace(/\{(\w+)\}/g, function (m, k) { return k in o ? String(o[k]) : m; }); }

  /* ---- township switcher ---- */
  function setTown(code, keepHash) {
    if (!byTown[code] && data) code = data.towns[0].code;
    active = code;
    switchButtons.forEach(function (b) { b.setAttribute("aria-pressed", b.dataset.town === code ? "true" : "false"); });
    townSections.forEach(function (s) { s.hidden = s.dataset.town !== code; });
    if (!keepHash && window.history && history.replaceState) history.replaceState(null, "", "#t=" + code);
    if (!data) return;
    selected = null;
    card.innerHTML = '<p class="note">' + T("点按地图上的网格，或在下方列表中选择网格，查看三项指标、百分位和上周颜色。") + "</p>";
    draw(code);
    listTown = null;
    if (list.open) renderList();
  }
  switchButtons.forEach(function (b) { b.addEventListener("click", function () { setTown(b.dataset.town); }); });

  /* ---- the map ---- */
  function draw(code) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity, n = 0;
    var frag = document.createDocumentFragment();
    byTown[code].forEach(function (g) {
      var d = get(g, "map_path");
      if (!d) return;
      var xy = d.match(/-?\d+/g);
      for (var i = 0; i + 1 < xy.length; i += 2) {
        var x = +xy[i], y = +xy[i + 1];
        if (x < minx) minx = x; if (x > maxx) maxx = x;
        if (y < miny) miny = y; if (y > maxy) maxy = y;
      }
      var p = document.createElementNS(SVGNS, "path");
      p.setAttribute("d", d);
      p.setAttribute("class", "c-" + colourOf(g, "color"));
      p.setAttribute("data-grid", get(g, "grid_code"));
      var t = document.createElementNS(SVGNS, "title");
      t.textContent = get(g, "grid_name") + T("（") + zh(colourOf(g, "color")) + T("）");
      p.appendChild(t);
      frag.appendChild(p);
      n++;
    });
    svg.appendChild(frag);
    if (!n) {
      mapbox.hidden = true;
      list.open = true;
      setStatus(T("本镇街没有网格边界数据，以下按颜色列出各网格。"));
      return;
    }
    mapbox.hidden = false;
    setStatus("");
    var w = Math.max(maxx - minx, 1), h = Math.max(maxy - miny, 1), pad = Math.max(w, h) * 0.01;
    full = [minx - pad, miny - pad, w + 2 * pad, h + 2 * pad];
    svg.style.aspectRatio = full[2] + " / " + full[3];
    setView(full.slice());
  }
  function setView(v) {
    // never wider than the whole township, never smaller than 1/16 of it; stay over it
    v[2] = Math.min(Math.max(v[2], full[2] / 16), full[2]);
    v[3] = v[2] * full[3] / full[2];
    v[0] = Math.min(Math.max(v[0], full[0]), full[0] + full[2] - v[2]);
    v[1] = Math.min(Math.max(v[1], full[1]), full[1] + full[3] - v[3]);
    view = v;
    svg.setAttribute("viewBox", v.join(" "));
    svg.classList.toggle("zoomed", v[2] < full[2] - 1e-9);
  }
  function zoom(factor) {
    var cx = view[0] + view[2] / 2, cy = view[1] + view[3] / 2;
    var sel = selected && svg.querySelector('path[data-grid="' + selected + '"]');
    if (sel && factor < 1) {
      var b = sel.getBBox();
      cx = b.x + b.width / 2; cy = b.y + b.height / 2;
    }
    var w = view[2] * factor, h = view[3] * factor;
    setView([cx - w / 2, cy - h / 2, w, h]);
  }
  root.querySelector(".gm-tools").addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b || !full) return;
    if (b.dataset.zoom === "in") zoom(0.5);
    else if (b.dataset.zoom === "out") zoom(2);
    else setView(full.slice());
  });

  // Drag to pan when zoomed in (at full extent the page scrolls as usual).
  var drag = null, moved = false;
  svg.addEventListener("pointerdown", function (e) {
    moved = false;
    if (!svg.classList.contains("zoomed")) return;
    drag = { x: e.clientX, y: e.clientY, v: view.slice() };
  });
  svg.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!moved && Math.abs(dx) + Math.abs(dy) < 6) return;
    if (!moved) { moved = true; try { svg.setPointerCapture(e.pointerId); } catch (err) { /* ignore */ } }
    var r = svg.getBoundingClientRect();
    var k = Math.max(drag.v[2] / r.width, drag.v[3] / r.height);
    setView([drag.v[0] - dx * k, drag.v[1] - dy * k, drag.v[2], drag.v[3]]);
  });
  function endDrag() { drag = null; }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", endDrag);
  svg.addEventListener("click", function (e) {
    if (moved) { moved = false; return; }
    var p = e.target.closest("path[data-grid]");
    if (p) select(p.getAttribute("data-grid"), false);
  });

  /* ---- the card ---- */
  function select(code, fromList) {
    var g = byCode[code];
    if (!g) return;
    var prev = selected && svg.querySelector('path[data-grid="' + selected + '"]');
    if (prev) prev.classList.remove("sel");
    selected = code;
    var p = svg.querySelector('path[data-grid="' + code + '"]');
    if (p) { p.classList.add("sel"); p.parentNode.appendChild(p); }  // drawn last: outline on top
    card.innerHTML = cardHtml(g);
    if (fromList || !p) card.scrollIntoView({ block: "nearest" });
    else if (card.getBoundingClientRect().top > window.innerHeight - 80) card.scrollIntoView({ block: "start" });
  }
  function cardHtml(g) {
    var c = colourOf(g, "color"), last = colourOf(g, "last_week_color"), town = data.towns[get(g, "town")];
    var total = (get(g, "penalties") || 0) + (get(g, "petitions_disputes") || 0) + (get(g, "valid_alarms") || 0);
    var h = ['<article class="gcard gm-gcard c-' + esc(c) + '" data-grid="' + esc(get(g, "grid_code")) +
             '" data-color="' + esc(c) + '">',
             '<header><span class="gname">' + raw(get(g, "grid_name")) + '</span><span class="pill c-' + esc(c) +
             '">' + esc(zh(c)) + "</span></header>",
             '<div class="gmeta">' + esc(get(g, "grid_code")) + " · " + esc(T(town.name)) +
             " · " + T("实有人口") + ' <span data-f="population">' + num(get(g, "population")) + "</span></div>"];
    if (c === "grey") {
      h.push('<p class="grey-note">' + (get(g, "grey_reason") === "too_few_grids"
        ? fmt(T("本镇街参与排名的网格不足 {n} 个，无法排名，全部显示灰色。"), { n: labels.min_ranked_grids })
        : fmt(T("实有人口不足 {n} 人，数据不足，不参与排名。"), { n: labels.min_population })) + "</p>");
    } else {
      var share = get(g, "share_higher");
      h.push('<div class="gscore">' + T("综合得分") + ' <strong data-f="score">' + fixed1(get(g, "score")) + "</strong></div>");
      if (share !== null && share !== undefined) {
        h.push('<p class="gm-h">' + fmt(T("本镇街 {n} 个参与排名的网格中，得分比它高的占 <strong data-f=\"h\">{pct}%</strong>（h = {h}），所以是{colour}色。"),
               { n: num(town.ranked), pct: (100 * share).toFixed(1), h: share.toFixed(3), colour: esc(zh(c)) }) + "</p>");
      }
    }
    h.push('<table class="gcomp"><thead><tr><th scope="col">' + fmt(T("近{n}天"), { n: labels.window_days }) +
           '</th><th class="n" scope="col">' + T("件数") + '</th><th class="n" scope="col">' + T("每千人") + "</th>" +
           '<th class="n" scope="col">' + T("百分位") + "</th></tr></thead><tbody>");
    [["penalties", "penalty_rate", "penalty_pct"], ["petitions_disputes", "petition_rate", "petition_pct"],
     ["valid_alarms", "alarm_rate", "alarm_pct"]].forEach(function (k, i) {
      var pct = get(g, k[2]);
      h.push('<tr data-component="' + k[0] + '"><th scope="row">' + esc(labels.components[i]) + '</th><td class="n">' +
             num(get(g, k[0])) + '</td><td class="n">' + fixed1(get(g, k[1])) + '</td><td class="n">' +
             (pct === null || pct === undefined ? "—" : pct) + "</td></tr>");
    });
    h.push("</tbody></table>");
    if (c !== "grey" && get(g, "is_few_events")) {
      h.push('<p class="gm-few">' + (total === 0
        ? fmt(T("近{n}天三项均为 0，按规则为绿色。"), { n: labels.window_days })
        : fmt(T("近{n}天三项合计仅 {total} 件，事件较少，颜色仅供参考。"), { n: labels.window_days, total: total })) + "</p>");
    }
    var lastText = last ? swatch(last) + esc(zh(last)) + (last === c ? T("（未变）") : " → " + esc(zh(c))) : T("—（无上周颜色）");
    h.push('<div class="gmeta gm-last">' + T("上周：") + '<span data-f="last">' + lastText + "</span></div></article>");
    return h.join("");
  }

  /* ---- the list view ---- */
  function renderList() {
    if (!data || listTown === active) return;
    listTown = active;
    var grids = byTown[active].slice().sort(function (a, b) {
      var sa = get(a, "score"), sb = get(b, "score");
      if (sa !== sb) return (sb === null ? -1 : sb) - (sa === null ? -1 : sa);
      return get(a, "grid_code") < get(b, "grid_code") ? -1 : 1;
    });
    function item(g) {
      var c = colourOf(g, "color"), s = get(g, "score");
      return '<li><button type="button" data-grid="' + esc(get(g, "grid_code")) + '" data-color="' + esc(c) + '">' +
             swatch(c) + raw(get(g, "grid_name")) + (s === null ? "" : " <small>" + fixed1(s) + "</small>") +
             (get(g, "map_path") ? "" : " <small>" + T("无边界") + "</small>") + "</button></li>";
    }
    var html = [];
    var noMap = !grids.some(function (g) { return get(g, "map_path"); });  // the list is the only view
    var changed = grids.filter(function (g) { var l = colourOf(g, "last_week_color"); return l && l !== colourOf(g, "color"); });
    if (changed.length) {
      html.push('<details class="gm-group"><summary>' + fmt(T("较上周变色 {n} 个"), { n: changed.length }) + '</summary><ul class="gm-items">' +
                changed.map(item).join("") + "</ul></details>");
    }
    colours.forEach(function (c) {
      var mine = grids.filter(function (g) { return colourOf(g, "color") === c; });
      if (!mine.length) return;
      html.push('<details class="gm-group" data-color="' + c + '"' + (c === "red" || noMap ? " open" : "") + "><summary>" +
                swatch(c) + fmt(T("{colour}色 {n} 个"), { colour: esc(zh(c)), n: mine.length }) + '</summary><ul class="gm-items">' +
                mine.map(item).join("") + "</ul></details>");
    });
    listBody.innerHTML = html.join("");
  }
  list.addEventListener("toggle", function () { if (list.open) renderList(); });
  listBody.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-grid]");
    if (b) select(b.dataset.grid, true);
  });

  /* ---- load ---- */
  function start(json) {
    data = json;
    json.fields.forEach(function (f, i) { F[f] = i; });
    colours = json.colours;
    json.towns.forEach(function (t) { byTown[t.code] = []; });
    json.grids.forEach(function (g) {
      byTown[json.towns[get(g, "town")].code].push(g);
      byCode[get(g, "grid_code")] = g;
    });
    var m = /^#t=(\w+)/.exec(location.hash);
    setTown(m && byTown[m[1]] ? m[1] : (active || json.towns[0].code), true);
  }
  var first = switchButtons.length ? switchButtons[0].dataset.town : null;
  var m0 = /^#t=(\w+)/.exec(location.hash);
  setTown(m0 && switchButtons.some(function (b) { return b.dataset.town === m0[1]; }) ? m0[1] : first, true);
  // data/grid_polygons.js (loaded just before this script) sets window.ZHIFA_GRID_MAP.
  if (window.ZHIFA_GRID_MAP) start(window.ZHIFA_GRID_MAP);
  else setStatus(T("地图数据未能载入（data/grid_polygons.js）；各网格数字见 data/grid_colors.csv。"));
})();
