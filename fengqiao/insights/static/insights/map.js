/* 一张图 (vendored Leaflet). Configuration and labels come from the #map-config json_script; the
   layers from /insights/map/layers.json. Every text shown goes through textContent (never HTML),
   so names from the records cannot inject markup. No inline script anywhere. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("map-config");
  var el = document.getElementById("command-map");
  if (!cfgEl || !el || !window.L) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.labels;
  var URGENCY = { urgent: "#c62828", ordinary: "#1565c0", complex: "#6a1b9a" };
  var LEVEL = { 1: "#66bb6a", 2: "#26a69a", 3: "#ffa726", 4: "#ef6c00", 5: "#b71c1c" };
  var RISK = { red: "#d32f2f", orange: "#f57c00", blue: "#1976d2", green: "#388e3c", none: "#9e9e9e" };

  if (cfg.screen) document.body.classList.add("bigscreen");

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value == null ? "" : String(value);
    if (cls) node.className = cls;
    return node;
  }
  function tip(parts) {
    var box = document.createElement("div");
    parts.forEach(function (p, i) { if (i) box.appendChild(document.createElement("br")); box.appendChild(text("span", p)); });
    return box;
  }

  var map = L.map(el, { attributionControl: false, zoomControl: !cfg.screen, zoomSnap: 0.25 });
  map.setView([29.8, 120.6], 12);
  var groups = {};
  var heat = { data: null, layer: L.layerGroup() };
  var tileAdded = false;
  var fitted = false;

  function circle(lat, lng, opts, tooltip) {
    var m = L.circleMarker([lat, lng], opts);
    if (tooltip) m.bindTooltip(tooltip);
    return m;
  }

  function build(data) {
    if (data.tile_url && !tileAdded) { L.tileLayer(data.tile_url, { maxZoom: 19 }).addTo(map); tileAdded = true; }
    el.classList.toggle("plain", !data.tile_url);
    Object.keys(groups).forEach(function (k) { map.removeLayer(groups[k]); });
    groups = {};
    var bounds = L.latLngBounds([]);
    var places = L.layerGroup();
    (data.places || []).forEach(function (p) {
      var isGrid = p.level === 5;
      if (p.boundary) {
        var poly = L.geoJSON(p.boundary, { style: { color: isGrid ? "#b8322a" : "#455a64", weight: isGrid ? 2 : 1, fillOpacity: isGrid ? 0.06 : 0, dashArray: isGrid ? null : "4 4" } });
        poly.on("click", function () { showCard(p.id); });
        poly.eachLayer(function (layer) { layer.feature = layer.feature || {}; layer.options.placeCode = p.code; });
        places.addLayer(poly);
        bounds.extend(poly.getBounds());
      }
      if (p.centre && !data.tile_url && p.level >= 4) {
        // Without a base map: the place names on a plain background.
        var label = L.tooltip({ permanent: true, direction: "center", className: "place-label" })
          .setLatLng(p.centre).setContent(text("span", p.name));
        places.addLayer(label);
      }
      if (p.centre) bounds.extend(p.centre);
    });
    groups.places = places;
    var stations = L.layerGroup();
    (data.stations || []).forEach(function (s) {
      stations.addLayer(circle(s.lat, s.lng, { radius: s.kind === "station" ? 9 : 7, color: "#0d47a1", weight: 3, fillColor: "#fff", fillOpacity: 1 }, tip([T[s.kind] || s.kind, s.name])));
    });
    groups.stations = stations;
    if (data.cases) {
      var cases = L.layerGroup();
      data.cases.forEach(function (c) {
        var opts = { radius: 6, color: c.overdue ? "#ff1744" : URGENCY[c.urgency] || "#1565c0", weight: c.overdue ? 4 : 1, fillColor: URGENCY[c.urgency] || "#1565c0", fillOpacity: 0.8 };
        var parts = [c.number, c.category, T[c.urgency] || c.urgency];
        if (c.overdue) parts.push(T.overdue);
        var m = circle(c.lat, c.lng, opts, tip(parts));
        m.options.caseId = c.id;
        m.options.overdue = c.overdue;
        cases.addLayer(m);
      });
      groups.cases = cases;
    }
    if (data.disputes) {
      var disputes = L.layerGroup();
      data.disputes.forEach(function (d) {
        disputes.addLayer(circle(d.lat, d.lng, { radius: 7, color: "#333", weight: 1, fillColor: LEVEL[d.level] || "#999", fillOpacity: 0.9 }, tip([T.dispute + " " + d.number, T.level.replace("%(n)s", d.level)])));
      });
      groups.disputes = disputes;
    }
    if (data.risks) {
      var risks = L.layerGroup();
      data.risks.forEach(function (r) {
        risks.addLayer(circle(r.lat, r.lng, { radius: 9, color: "#000", weight: 1, fillColor: RISK[r.level] || "#999", fillOpacity: 0.85 }, tip([T.risk + " " + r.number, cfg.colours[r.level] || r.level])));
      });
      groups.risks = risks;
    }
    if (data.units) {
      var units = L.layerGroup();
      data.units.forEach(function (u) {
        units.addLayer(circle(u.lat, u.lng, { radius: 5, color: "#000", weight: 2, fillColor: "#ffeb3b", fillOpacity: 1 }, tip([T.unit, u.name])));
      });
      groups.units = units;
    }
    if (data.villages) {
      var villages = L.layerGroup();
      data.villages.forEach(function (v) {
        var colour = v.met ? "#2e7d32" : "#c62828";
        var parts = [v.name, v.met ? T.village_met : T.village_not_met, v.state === "confirmed" ? T.village_confirmed : ""];
        var shape = v.boundary
          ? L.geoJSON(v.boundary, { style: { color: colour, weight: v.state === "confirmed" ? 4 : 2, fillColor: colour, fillOpacity: 0.18 } })
          : v.centre ? circle(v.centre[0], v.centre[1], { radius: 14, color: colour, weight: 3, fillColor: colour, fillOpacity: 0.3 }, tip(parts)) : null;
        if (!shape) return;
        if (v.boundary) shape.bindTooltip(tip(parts), { sticky: true });
        shape.on("click", function () { window.location.href = v.url; });
        shape.options.villageCode = v.code;
        shape.options.met = v.met;
        villages.addLayer(shape);
      });
      groups.villages = villages;
    }
    heat.data = data.heat || null;
    setupHeat();
    groups.heat = heat.layer;
    document.querySelectorAll("#layer-switches input[data-layer]").forEach(function (box) {
      var name = box.dataset.layer;
      var present = !!groups[name] && (name !== "heat" || !!heat.data);
      box.closest("label").hidden = !present;
      if (present && (box.checked || cfg.screen && name !== "heat")) groups[name].addTo(map);
    });
    if (!fitted && bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 }); fitted = true; }
    bigKpis(data.totals || {});
    el.dataset.loaded = String((el.dataset.loaded | 0) + 1);
  }

  document.querySelectorAll("#layer-switches input[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      var layer = groups[box.dataset.layer];
      if (!layer) return;
      if (box.checked) layer.addTo(map); else map.removeLayer(layer);
      if (box.dataset.layer === "heat") document.getElementById("heat-controls").hidden = !box.checked;
    });
  });

  // -- heat of reports by category, with a time slider ---------------------------------------
  var heatCategory = document.getElementById("heat-category");
  var heatDay = document.getElementById("heat-day");
  var heatLabel = document.getElementById("heat-day-label");
  function setupHeat() {
    var controls = document.getElementById("heat-controls");
    if (!heat.data) { controls.hidden = true; return; }
    controls.hidden = !document.getElementById("heat-toggle").checked;
    var current = heatCategory.value;
    heatCategory.textContent = "";
    var all = text("option", T.all_categories); all.value = ""; heatCategory.appendChild(all);
    heat.data.categories.forEach(function (name, i) { var o = text("option", name); o.value = String(i); heatCategory.appendChild(o); });
    heatCategory.value = current;
    heatDay.max = String(Math.max(heat.data.days - 1, 0));
    if (!heatDay.dataset.touched) heatDay.value = heatDay.max;
    drawHeat();
  }
  function drawHeat() {
    heat.layer.clearLayers();
    if (!heat.data) return;
    var cat = heatCategory.value === "" ? null : +heatCategory.value;
    var upto = +heatDay.value;
    var day = new Date(heat.data.start + "T00:00:00");
    day.setDate(day.getDate() + upto);
    heatLabel.textContent = T.day + " " + day.toISOString().slice(0, 10);
    var cells = {};
    var size = 0.004;
    heat.data.points.forEach(function (p) {
      if (p[3] > upto || (cat !== null && p[2] !== cat)) return;
      var key = Math.round(p[0] / size) + ":" + Math.round(p[1] / size);
      var cell = cells[key] || (cells[key] = { lat: 0, lng: 0, n: 0 });
      cell.lat += p[0]; cell.lng += p[1]; cell.n += 1;
    });
    Object.keys(cells).forEach(function (k) {
      var c = cells[k];
      heat.layer.addLayer(L.circleMarker([c.lat / c.n, c.lng / c.n], {
        radius: 8 + 6 * Math.sqrt(c.n), stroke: false, fillColor: "#ff5722", fillOpacity: Math.min(0.15 + 0.08 * c.n, 0.7)
      }).bindTooltip(text("span", String(c.n))));
    });
    heat.layer.options.cells = Object.keys(cells).length;
    el.dataset.heatCells = String(Object.keys(cells).length);
  }
  heatCategory.addEventListener("change", drawHeat);
  heatDay.addEventListener("input", function () { heatDay.dataset.touched = "1"; drawHeat(); });

  // -- the grid card ---------------------------------------------------------------------------
  var card = document.getElementById("grid-card");
  function showCard(id) {
    if (cfg.screen) return;
    fetch(cfg.card_url.replace(/0\.json$/, id + ".json"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (!c) return;
        card.textContent = "";
        card.appendChild(text("strong", c.name));
        card.appendChild(text("span", " · " + c.level, "muted"));
        var dl = document.createElement("dl");
        Object.keys(c.counts).forEach(function (k) { dl.appendChild(text("dt", T[k] || k)); dl.appendChild(text("dd", c.counts[k])); });
        ["grid_worker", "community_officer"].forEach(function (role) {
          var names = c.people_in_charge.filter(function (p) { return p.role === role; }).map(function (p) { return p.name; });
          dl.appendChild(text("dt", T[role])); dl.appendChild(text("dd", names.length ? names.join("、") : T.nobody));
        });
        card.appendChild(dl);
        card.hidden = false;
        card.dataset.place = c.code;
      });
  }

  // -- big screen ------------------------------------------------------------------------------
  function bigKpis(totals) {
    var box = document.getElementById("big-kpis");
    box.textContent = "";
    [["open_cases", totals.cases], ["overdue", totals.overdue], ["open_disputes", totals.disputes], ["red_risks", totals.red_risks]].forEach(function (pair) {
      var k = document.createElement("div"); k.className = "kpi";
      k.appendChild(text("span", T[pair[0]], "name")); k.appendChild(text("b", pair[1] == null ? "—" : pair[1]));
      box.appendChild(k);
    });
  }

  function load() {
    return fetch(cfg.layers_url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(build)
      .catch(function () { el.dataset.error = "1"; });
  }
  load();
  if (cfg.screen) setInterval(load, (cfg.refresh_seconds || 60) * 1000);
  if (window.ResizeObserver) new ResizeObserver(function () { map.invalidateSize(); }).observe(el);
})();
