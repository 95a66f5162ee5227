/* eonode product page: country basemap, footprint outline, optional quicklook overlay.
   Plain ES2017, no dependencies except Leaflet (global L). Exposes only window.eonodeMap (for tests). */
(function () {
  "use strict";
  // Data still at the parent node: ask for it, show the progress, download once it is here.
  Array.prototype.forEach.call(document.querySelectorAll("a[data-fetch]"), function (link) {
    var status = link.parentNode.querySelector(".fetch-progress");
    link.addEventListener("click", function (event) {
      event.preventDefault();
      link.setAttribute("aria-disabled", "true");
      (function poll() {
        fetch(link.href, { method: "HEAD", credentials: "same-origin", cache: "no-store" }).then(function (r) {
          if (r.ok) { status.textContent = ""; window.location.href = link.href; return; }
          if (r.status === 503) {
            var p = (r.headers.get("X-Eonode-Progress") || "0/0").split("/");
            var total = Number(p[1]);
            status.textContent = total ? Math.floor(100 * Number(p[0]) / total) + " %" : "…";
            setTimeout(poll, 1000 * Math.max(1, Number(r.headers.get("Retry-After") || 2)));
            return;
          }
          status.textContent = "HTTP " + r.status;
          link.removeAttribute("aria-disabled");
        }).catch(function () { setTimeout(poll, 3000); });
      })();
    });
  });
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var map = L.map(el, { minZoom: 1 });
  window.eonodeMap = map;
  var tiles = el.dataset.tiles || "";
  map.createPane("countries").style.zIndex = 250;   // above tiles (200)
  map.getPane("countries").style.pointerEvents = "none";
  map.createPane("quicklook").style.zIndex = 350;   // below the outline (overlayPane, 400)
  map.getPane("quicklook").style.pointerEvents = "none";

  var outline = null, b = null;
  try {
    outline = L.geoJSON(JSON.parse(el.dataset.footprint || "null"), {
      style: { color: "#d35400", weight: 2, fill: false }, interactive: false
    });
    b = outline.getBounds();
  } catch (e) { outline = null; }
  // The view must be set before vector layers are added.
  if (b && b.isValid()) map.fitBounds(b, { padding: [16, 16], maxZoom: 12 });
  else map.setView([25, 0], el.clientWidth >= 800 ? 2 : 1);
  if (tiles) L.tileLayer(tiles, { maxZoom: 18, attribution: el.dataset.attribution || "" }).addTo(map);
  if (b && b.isValid()) {
    if (el.dataset.quicklook) {
      L.imageOverlay(el.dataset.quicklook, b, { opacity: 0.85, pane: "quicklook", interactive: false }).addTo(map);
    }
    outline.addTo(map);
  }

  fetch(el.dataset.countries).then(function (r) {
    if (!r.ok) throw new Error("HTTP " + r.status);
    return r.json();
  }).then(function (gj) {
    L.geoJSON(gj, {
      pane: "countries", interactive: false,
      style: { color: "#9aa5b1", weight: 0.6, fillColor: "#f4f1e8", fillOpacity: tiles ? 0 : 1 }
    }).addTo(map);
    document.body.dataset.mapReady = "1";
  }).catch(function (err) {
    console.error("countries outline:", err);
    document.body.dataset.mapReady = "error";
  });
})();
