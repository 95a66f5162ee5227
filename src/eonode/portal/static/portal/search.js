/* eonode search page: country basemap, bbox/polygon drawing, footprint <-> result hover, cloud range.
   Plain ES2017, no dependencies except Leaflet (global L). Exposes only window.eonodeMap (for tests). */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var form = $("search-form"), el = $("map");
  if (!form || !el || !window.L) return;
  var field = function (name) { return form.elements.namedItem(name); };
  var bboxIn = field("bbox"), polyIn = field("intersects"), pageIn = field("page"), countrySel = $("country");
  var statusEl = $("draw-status");
  var t = readJSON("i18n") || {};
  var TXT = {
    rect: t.drawing_rect || "Drag on the map to draw a rectangle.",
    poly: t.drawing_poly || "Click to add points; double-click or click the first point to finish.",
    hint: t.poly_hint || "A polygon needs at least 3 points."
  };
  var SHAPE = { color: "#c0392b", weight: 2, fillOpacity: 0.08, interactive: false };
  var FOOT = { color: "#e67e22", weight: 1.5, fillOpacity: 0.05, className: "footprint" };
  var FOOT_HI = { color: "#d35400", weight: 3, fillOpacity: 0.3 };
  var COUNTRY_HI = { color: "#0b5cad", weight: 2, fillColor: "#0b5cad", fillOpacity: 0.12, interactive: false };

  // Products catalogued while the page is open (this node's change feed): offer to show them.
  (function watchArrivals() {
    var box = $("arrivals");
    if (!box || !window.fetch) return;
    var since = Number(box.dataset.since || 0), count = 0;
    function poll() {
      fetch("/changes?since=" + since + "&limit=1000", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (feed) {
          if (feed) {
            feed.events.forEach(function (e) { if (e.kind === "item" && e.op === "create") count += 1; });
            since = feed.next;
            if (count) {
              box.firstElementChild.textContent = (t.arrivals || "New products: {n}").replace("{n}", count);
              box.hidden = false;
            }
          }
          setTimeout(poll, feed && feed.more ? 500 : 10000);
        })
        .catch(function () { setTimeout(poll, 30000); });
    }
    setTimeout(poll, 10000);
  })();

  function readJSON(id) {
    var s = $(id);
    if (!s || !s.textContent.trim()) return null;
    try { return JSON.parse(s.textContent); } catch (e) { return null; }
  }
  function r4(v) { return Math.round(v * 1e4) / 1e4; }
  function clampLL(ll) {
    return L.latLng(Math.max(-90, Math.min(90, ll.lat)), Math.max(-180, Math.min(180, ll.lng)));
  }
  function setStatus(s) { if (statusEl) statusEl.textContent = s || ""; }
  function setPage1() { if (pageIn) pageIn.value = "1"; }
  function fit(b, maxZoom, animate) {
    if (b && b.isValid()) map.fitBounds(b, { padding: [16, 16], maxZoom: maxZoom || 10, animate: animate !== false });
    return !!(b && b.isValid());
  }

  // ---- map and basemap -------------------------------------------------------------------------
  var map = L.map(el, { worldCopyJump: false, minZoom: 1 });
  window.eonodeMap = map;
  var tiles = el.dataset.tiles || "";
  if (tiles) L.tileLayer(tiles, { maxZoom: 18, attribution: el.dataset.attribution || "" }).addTo(map);
  map.createPane("countries").style.zIndex = 250;          // above tiles (200), below overlays (400)
  map.getPane("countries").style.pointerEvents = "none";
  var countryIndex = {}, countryHi = null, countriesLoaded = false;

  // ---- drawn shape (from bbox / intersects) ----------------------------------------------------
  var shape = null;
  function setShape(layer) {
    if (shape) shape.remove();
    shape = layer;
    if (shape) shape.addTo(map);
  }
  function shapeFromForm() {
    var b = (bboxIn && bboxIn.value || "").split(",").map(Number);
    if (b.length === 4 && b.every(isFinite) && bboxIn.value.trim()) {
      return L.rectangle([[b[1], b[0]], [b[3], b[2]]], SHAPE);
    }
    if (polyIn && polyIn.value.trim()) {
      try { return L.geoJSON(JSON.parse(polyIn.value), { style: SHAPE, interactive: false }); } catch (e) { /* ignore */ }
    }
    return null;
  }

  // ---- country ---------------------------------------------------------------------------------
  function countryBounds(f) {
    // Fit to the main parts only (skip far-away small islands, e.g. France's overseas regions); if that still
    // spans more than 180 degrees (split at the antimeridian: RU, FJ, KI...), fit to the largest part alone.
    var g = f.geometry, polys = g.type === "MultiPolygon" ? g.coordinates : [g.coordinates];
    var parts = polys.map(function (p) {
      var b = L.latLngBounds(p[0].map(function (c) { return [c[1], c[0]]; }));
      return { b: b, a: (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth()) };
    }).sort(function (x, y) { return y.a - x.a; });
    if (!parts.length) return null;
    var all = L.latLngBounds([]);
    parts.forEach(function (p) { if (p.a >= parts[0].a / 10) all.extend(p.b); });
    return all.getEast() - all.getWest() > 180 ? parts[0].b : all;
  }
  function showCountry(code, doFit) {
    if (countryHi) { countryHi.remove(); countryHi = null; }
    var f = code && countryIndex[code];
    if (!f) return;
    countryHi = L.geoJSON(f, { style: COUNTRY_HI, interactive: false }).addTo(map);
    countryHi.bringToBack();
    if (doFit) fit(countryBounds(f), 8, doFit !== "initial");
  }
  if (countrySel) countrySel.addEventListener("change", function () {
    if (bboxIn) bboxIn.value = "";
    if (polyIn) polyIn.value = "";
    setShape(null);
    setPage1();
    if (countriesLoaded) showCountry(countrySel.value, true);
  });

  // ---- drawing ---------------------------------------------------------------------------------
  var mode = null, lastDrawEnd = 0;
  var btnRect = $("draw-rect"), btnPoly = $("draw-poly"), btnClear = $("draw-clear");
  var rectStart = null, rectTmp = null, pointerId = null;
  var verts = [], polyTmp = null, rubber = null, vertDots = null;

  function startMode(m) {
    stopMode();
    mode = m;
    el.classList.add("drawing");
    var btn = m === "rect" ? btnRect : btnPoly;
    if (btn) btn.setAttribute("aria-pressed", "true");
    if (m === "rect") map.dragging.disable();
    map.doubleClickZoom.disable();
    setStatus(m === "rect" ? TXT.rect : TXT.poly);
  }
  function stopMode() {
    if (rectTmp) rectTmp.remove();
    if (polyTmp) polyTmp.remove();
    if (rubber) rubber.remove();
    if (vertDots) vertDots.remove();
    rectTmp = polyTmp = rubber = vertDots = rectStart = pointerId = null;
    verts = [];
    mode = null;
    el.classList.remove("drawing");
    [btnRect, btnPoly].forEach(function (b) { if (b) b.setAttribute("aria-pressed", "false"); });
    map.dragging.enable();
    map.doubleClickZoom.enable();
    setStatus("");
  }
  function finished(layer) {
    setShape(layer);
    if (countrySel) countrySel.value = "";
    showCountry(null);
    setPage1();
    lastDrawEnd = Date.now();
    stopMode();
  }

  // Rectangle: pointer events on the container, so mouse, pen and touch all work.
  function onMapControl(e) { return e.target.closest && e.target.closest(".leaflet-control"); }
  el.addEventListener("pointerdown", function (e) {
    if (mode !== "rect" || !e.isPrimary || e.button > 0 || onMapControl(e)) return;
    if (e.pointerType === "mouse") e.preventDefault();      // no text selection; keep touch gestures intact
    pointerId = e.pointerId;
    try { el.setPointerCapture(pointerId); } catch (err) { /* ignore */ }
    rectStart = clampLL(map.mouseEventToLatLng(e));
    rectTmp = L.rectangle([rectStart, rectStart], SHAPE).addTo(map);
  });
  el.addEventListener("pointermove", function (e) {
    if (mode === "rect" && rectTmp && e.pointerId === pointerId) {
      rectTmp.setBounds([rectStart, clampLL(map.mouseEventToLatLng(e))]);
    }
  });
  function rectEnd(e) {
    if (mode !== "rect" || !rectTmp || e.pointerId !== pointerId) return;
    var b = L.latLngBounds(rectStart, clampLL(map.mouseEventToLatLng(e)));
    var w = r4(b.getWest()), s = r4(b.getSouth()), ea = r4(b.getEast()), n = r4(b.getNorth());
    if (e.type === "pointercancel" || w === ea || s === n) {   // a plain click: keep waiting for a drag
      rectTmp.remove(); rectTmp = rectStart = pointerId = null;
      return;
    }
    if (bboxIn) bboxIn.value = [w, s, ea, n].join(",");
    if (polyIn) polyIn.value = "";
    finished(L.rectangle([[s, w], [n, ea]], SHAPE));
  }
  el.addEventListener("touchmove", function (e) { if (rectTmp) e.preventDefault(); }, { passive: false });
  el.addEventListener("pointerup", rectEnd);
  el.addEventListener("pointercancel", rectEnd);

  // Polygon: click adds a vertex; double-click, click on the first vertex, or pressing the button again closes it.
  function px(ll) { return map.latLngToContainerPoint(ll); }
  function redrawPoly() {
    if (polyTmp) polyTmp.remove();
    if (vertDots) vertDots.remove();
    polyTmp = L.polyline(verts, { color: SHAPE.color, weight: 2, interactive: false }).addTo(map);
    vertDots = L.layerGroup(verts.map(function (v, i) {
      return L.circleMarker(v, { radius: i ? 3 : 6, color: SHAPE.color, weight: 2, fillColor: "#fff", fillOpacity: 1, interactive: false });
    })).addTo(map);
  }
  function closePoly() {
    var ring = [];
    verts.forEach(function (v) {
      var c = clampLL(v), p = [r4(c.lng), r4(c.lat)], q = ring[ring.length - 1];
      if (!q || q[0] !== p[0] || q[1] !== p[1]) ring.push(p);
    });
    if (ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1]) ring.pop();
    if (ring.length < 3) { setStatus(TXT.hint); return; }
    var area = 0;
    ring.forEach(function (p, i) { var q = ring[(i + 1) % ring.length]; area += p[0] * q[1] - q[0] * p[1]; });
    if (area < 0) ring.reverse();                           // RFC 7946: exterior ring counter-clockwise
    ring.push(ring[0].slice());
    var geom = { type: "Polygon", coordinates: [ring] };
    if (polyIn) polyIn.value = JSON.stringify(geom);
    if (bboxIn) bboxIn.value = "";
    finished(L.geoJSON(geom, { style: SHAPE, interactive: false }));
  }
  map.on("click", function (e) {
    if (mode !== "poly") return;
    var p = px(e.latlng), n = verts.length;
    if (n >= 3 && p.distanceTo(px(verts[0])) < 10) return closePoly();
    if (n && p.distanceTo(px(verts[n - 1])) < 4) return;   // 2nd click of a double-click
    verts.push(e.latlng);
    redrawPoly();
  });
  map.on("dblclick", function () { if (mode === "poly") closePoly(); });
  map.on("mousemove", function (e) {
    if (mode !== "poly" || !verts.length) return;
    var pts = [verts[verts.length - 1], e.latlng];
    if (rubber) rubber.setLatLngs(pts);
    else rubber = L.polyline(pts, { color: SHAPE.color, weight: 1, dashArray: "4 4", interactive: false }).addTo(map);
  });

  if (btnRect) btnRect.addEventListener("click", function () { if (mode === "rect") stopMode(); else startMode("rect"); });
  if (btnPoly) btnPoly.addEventListener("click", function () {
    if (mode !== "poly") startMode("poly");
    else if (verts.length >= 3) closePoly();
    else stopMode();
  });
  if (btnClear) btnClear.addEventListener("click", function () {
    stopMode();
    setShape(null);
    if (bboxIn) bboxIn.value = "";
    if (polyIn) polyIn.value = "";
    setPage1();
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && mode) stopMode(); });

  // ---- footprints <-> result list --------------------------------------------------------------
  var rows = {}, feet = {};
  document.querySelectorAll("#results li.result[data-id]").forEach(function (li) { rows[li.dataset.id] = li; });
  function hover(id, on) {
    var lyr = feet[id], li = rows[id];
    if (li) li.classList.toggle("hover", on);
    if (lyr) { lyr.setStyle(on ? FOOT_HI : FOOT); if (on) lyr.bringToFront(); }
  }
  var fc = readJSON("footprints");
  var footLayer = L.geoJSON(fc && fc.features ? fc : null, {
    style: function () { return FOOT; },
    onEachFeature: function (f, lyr) {
      var id = String(f.id != null ? f.id : (f.properties || {}).id);
      feet[id] = lyr;
      lyr.on("mouseover", function () { hover(id, true); });
      lyr.on("mouseout", function () { hover(id, false); });
      lyr.on("click", function () {
        var href = (f.properties || {}).href;
        if (href && !mode && Date.now() - lastDrawEnd > 400) window.location.href = href;
      });
    }
  });
  Object.keys(rows).forEach(function (id) {
    var li = rows[id];
    li.addEventListener("mouseenter", function () { hover(id, true); });
    li.addEventListener("mouseleave", function () { hover(id, false); });
    li.addEventListener("focusin", function () { hover(id, true); });
    li.addEventListener("focusout", function () { hover(id, false); });
  });

  // ---- initial state (the view must be set before vector layers are added) -------------------------
  var initShape = shapeFromForm(), initialCountry = countrySel ? countrySel.value : "";
  var fitted = initShape ? fit(initShape.getBounds(), 10, false)
    : !initialCountry && footLayer.getLayers().length && fit(footLayer.getBounds(), 10, false);
  if (!fitted) map.setView([25, 0], el.clientWidth >= 800 ? 2 : 1);  // world; a country is fitted once loaded
  footLayer.addTo(map);
  setShape(initShape);

  fetch(el.dataset.countries).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  }).then(function (gj) {
    (gj.features || []).forEach(function (f) {
      var code = f.id || (f.properties || {}).iso_a2;
      if (code) countryIndex[code] = f;
    });
    L.geoJSON(gj, {
      pane: "countries", interactive: false,
      style: { color: "#9aa5b1", weight: 0.6, fillColor: "#f4f1e8", fillOpacity: tiles ? 0 : 1 }
    }).addTo(map);
    countriesLoaded = true;
    var code = countrySel ? countrySel.value : "";
    if (code) showCountry(code, !shape && "initial");
    document.body.dataset.mapReady = "1";
  }).catch(function (err) {
    console.error("countries outline:", err);
    document.body.dataset.mapReady = "error";
  });

  // ---- cloud range -----------------------------------------------------------------------------
  var cmin = $("cloud_min"), cmax = $("cloud_max");
  function showOut(inp) {
    var o = inp && document.querySelector('output[for="' + inp.id + '"]');
    if (o) o.value = inp.value;
  }
  function syncCloud(moved) {
    if (cmin && cmax && Number(cmin.value) > Number(cmax.value)) {
      if (moved === cmax) cmin.value = cmax.value; else cmax.value = cmin.value;
    }
    showOut(cmin); showOut(cmax);
  }
  [cmin, cmax].forEach(function (inp) {
    if (inp) inp.addEventListener("input", function () { syncCloud(inp); setPage1(); });
  });
  syncCloud(cmin);
})();
