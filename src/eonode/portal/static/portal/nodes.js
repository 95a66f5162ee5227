/* eonode console, Nodes page: each approved child's territory on the country basemap, in the colour
   of its legend entry. A territory is country codes (drawn from the shipped outlines), a GeoJSON
   geometry, or none (everywhere: a dashed frame around the world).
   Plain ES2017, no dependencies except Leaflet (global L). Exposes only window.eonodeMap (for tests). */
(function () {
  "use strict";
  var el = document.getElementById("map"), data = document.getElementById("territories-data");
  if (!el || !data || !window.L) return;
  var territories = [];
  try { territories = JSON.parse(data.textContent) || []; } catch (e) { territories = []; }
  var map = L.map(el, { minZoom: 1 });
  window.eonodeMap = map;
  var tiles = el.dataset.tiles || "";
  if (tiles) L.tileLayer(tiles, { maxZoom: 18, attribution: el.dataset.attribution || "" }).addTo(map);
  map.createPane("countries").style.zIndex = 250;   // above tiles (200), below the territories (overlayPane, 400)
  map.getPane("countries").style.pointerEvents = "none";
  map.setView([25, 0], el.clientWidth >= 800 ? 2 : 1);

  function style(t, everywhere) {
    return {
      color: t.colour, weight: 2, fillColor: t.colour, fillOpacity: everywhere ? 0.04 : 0.25,
      dashArray: everywhere ? "6 4" : null, className: "territory"
    };
  }
  function draw(byCode) {
    var bounds = L.latLngBounds([]), drawn = 0;
    territories.forEach(function (t) {
      var layer = null;
      if (t.geometry) {
        layer = L.geoJSON(t.geometry, { style: style(t, false) });
      } else if (t.codes) {
        var features = t.codes.map(function (c) { return byCode[c]; }).filter(Boolean);
        if (features.length) layer = L.geoJSON({ type: "FeatureCollection", features: features }, { style: style(t, false) });
      } else {
        layer = L.rectangle([[-85, -180], [85, 180]], style(t, true));
      }
      if (!layer) return;
      layer.bindTooltip(t.name, { sticky: true }).addTo(map);
      if (t.geometry || t.codes) bounds.extend(layer.getBounds());
      drawn += 1;
    });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 4, animate: false });
    document.body.dataset.territoriesDrawn = String(drawn);
  }

  fetch(el.dataset.countries).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  }).then(function (gj) {
    var byCode = {};
    gj.features.forEach(function (f) { byCode[f.properties.iso_a2] = f; });
    L.geoJSON(gj, {
      pane: "countries", interactive: false,
      style: { color: "#9aa5b1", weight: 0.6, fillColor: "#f4f1e8", fillOpacity: tiles ? 0 : 1 }
    }).addTo(map);
    draw(byCode);
    document.body.dataset.mapReady = "1";
  }).catch(function (err) {
    console.error("countries outline:", err);
    draw({});  // geometries and "everywhere" still show
    document.body.dataset.mapReady = "error";
  });
})();
