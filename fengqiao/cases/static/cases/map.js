/* Offline map: grid polygons on a plain background, or an internal tile layer when configured.
   <div class="case-map" data-map="id-of-json-script" data-pick="lat-input-id,lng-input-id"> */
(function () {
  // Leaflet renders a string tooltip as HTML: names from the records go in as text nodes only.
  function label(value) {
    var node = document.createElement("span");
    node.textContent = value == null ? "" : String(value);
    return node;
  }
  function init(el) {
    if (!window.L || el.dataset.ready) return;
    el.dataset.ready = "1";
    var data = JSON.parse(document.getElementById(el.dataset.map).textContent);
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
    var bounds = L.latLngBounds([]), layers = [];
    data.places.forEach(function (p) {
      if (p.boundary) {
        var layer = L.geoJSON(p.boundary, { style: { color: "#b8322a", weight: 2, fillOpacity: 0.08 } }).bindTooltip(label(p.name));
        layers.push(layer); bounds.extend(layer.getBounds());
      } else if (p.centre) { bounds.extend(p.centre); }
    });
    data.points.forEach(function (pt) {
      layers.push(L.circleMarker([pt.lat, pt.lng], { radius: 7, color: "#1565c0" }).bindTooltip(label(pt.label)));
      bounds.extend([pt.lat, pt.lng]);
    });
    function fit() {
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
      else map.setView([29.8, 120.6], 12);
    }
    fit();  // a view first: vector layers need one before they are added
    if (data.tile_url) L.tileLayer(data.tile_url, { maxZoom: 19 }).addTo(map);
    layers.forEach(function (layer) { layer.addTo(map); });
    // The container may get its final size after the first layout (flex rows, phones).
    if (window.ResizeObserver) {
      var last = el.clientWidth + "x" + el.clientHeight;
      new ResizeObserver(function () {
        var size = el.clientWidth + "x" + el.clientHeight;
        if (size !== last) { last = size; map.invalidateSize(); fit(); }
      }).observe(el);
    }
    if (el.dataset.pick) {
      // data-pick is read on every click: a page may point it at another pair of inputs
      // (the triage queue: the row being placed).
      var ids = el.dataset.pick.split(","), lat = document.getElementById(ids[0]), lng = document.getElementById(ids[1]);
      var marker = null;
      if (lat && lng && lat.value && lng.value) marker = L.marker([+lat.value, +lng.value]).addTo(map);
      map.on("click", function (e) {
        ids = el.dataset.pick.split(","); lat = document.getElementById(ids[0]); lng = document.getElementById(ids[1]);
        if (!lat || !lng) return;
        lat.value = e.latlng.lat.toFixed(6); lng.value = e.latlng.lng.toFixed(6);
        if (marker) marker.setLatLng(e.latlng); else marker = L.marker(e.latlng).addTo(map);
        var note = document.getElementById("pin-note"); if (note) note.hidden = false;
      });
    }
  }
  function all() { document.querySelectorAll(".case-map").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
  document.addEventListener("htmx:afterSwap", all);
})();
