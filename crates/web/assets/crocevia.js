/*
 * Crocevia's own script. Pages work without it; it adds maps.
 *
 * Load it last, deferred (pages with a map load Leaflet before it):
 *
 *   <script src="/static/leaflet/leaflet.js" defer></script>      (pages with a map)
 *   <script src="/static/crocevia/crocevia.js" defer></script>
 *
 * Fonts are declared in crocevia.css; Bootstrap Italia's JavaScript bundle is not loaded
 * (no page uses its components, and it weighs a megabyte).
 *
 * Maps: every element
 *
 *   <div class="crocevia-map" role="region" aria-label="…"
 *        data-points='[{"lat":42.35,"lon":13.39,"label":"…","url":"/it/…"}]'
 *        data-geojson-url="/api/…"            (optional: boundaries drawn under the points)
 *        data-tiles="https://…/{z}/{x}/{y}.png" (optional; empty or absent = no tile layer)
 *        data-tiles-attribution="© …"         (optional)
 *        data-zoom="15">                      (optional: zoom for a single point)
 *   </div>
 *
 * becomes a Leaflet map, also inside content htmx swaps in. With no tile layer the map still
 * works offline: boundaries from our own data and the points on a plain background.
 *
 * Printing: a `<button data-crocevia-print>` prints the page (the Content-Security-Policy
 * allows no inline `onclick`, so every behaviour lives in this file).
 *
 * Focus: an element focused by a click gets `data-focus-mouse="true"` (by the keyboard,
 * "false"), so Bootstrap Italia's CSS draws the focus ring for keyboard users only.
 *
 * Long submissions: a form with `data-busy="Importing…"` says so in its `[data-busy-status]`
 * element (a live region) and disables its submit button while the server works.
 */
(function () {
  'use strict';

  function parsePoints(el) {
    var raw = el.getAttribute('data-points');
    if (!raw) {
      return [];
    }
    try {
      var points = JSON.parse(raw);
      return Array.isArray(points) ? points : [];
    } catch (e) {
      if (window.console) {
        console.warn('crocevia: data-points is not JSON', e);
      }
      return [];
    }
  }

  function popupContent(point) {
    // Built from DOM nodes, never from HTML strings: labels are data.
    var box = document.createElement('div');
    var text = String(point.label || '');
    if (point.url) {
      var a = document.createElement('a');
      a.href = String(point.url);
      a.textContent = text || String(point.url);
      box.appendChild(a);
    } else {
      box.textContent = text;
    }
    return box;
  }

  /** Points nearer than this on screen (px) share a marker: more than a marker's height. */
  var GROUP_PX = 44;

  function groupContent(points) {
    var list = document.createElement('ul');
    list.className = 'list-unstyled mb-0';
    points.forEach(function (p) {
      var item = document.createElement('li');
      item.appendChild(popupContent(p));
      list.appendChild(item);
    });
    return list;
  }

  function initMap(el) {
    if (el.getAttribute('data-map-ready') === 'true' || !window.L) {
      return;
    }
    el.setAttribute('data-map-ready', 'true');
    // Without this script the element is a labelled placeholder; as a Leaflet map it holds
    // focusable markers and buttons, which role="img" would hide (axe: nested-interactive).
    if (el.getAttribute('role') === 'img') {
      el.setAttribute('role', 'region');
    }
    var L = window.L;
    L.Icon.Default.imagePath = '/static/leaflet/images/';

    var map = L.map(el, { scrollWheelZoom: false, attributionControl: true });
    var tiles = (el.getAttribute('data-tiles') || '').trim();
    if (tiles) {
      L.tileLayer(tiles, {
        maxZoom: 19,
        attribution: el.getAttribute('data-tiles-attribution') || ''
      }).addTo(map);
    }

    var bounds = L.latLngBounds([]);
    var points = parsePoints(el).filter(function (p) {
      return isFinite(Number(p.lat)) && isFinite(Number(p.lon));
    });
    points.forEach(function (p) {
      bounds.extend([Number(p.lat), Number(p.lon)]);
    });
    var markers = L.layerGroup().addTo(map);

    // Points closer on screen than a marker's height share one marker listing them all, so
    // no marker hides another (every target stays whole: WCAG 2.5.8). Zooming regroups.
    function drawPoints() {
      markers.clearLayers();
      var groups = [];
      points.forEach(function (p) {
        var latLng = L.latLng(Number(p.lat), Number(p.lon));
        var at = map.latLngToLayerPoint(latLng);
        var group = null;
        for (var i = 0; i < groups.length && !group; i++) {
          if (groups[i].at.distanceTo(at) < GROUP_PX) {
            group = groups[i];
          }
        }
        if (group) {
          group.points.push(p);
        } else {
          groups.push({ at: at, latLng: latLng, points: [p] });
        }
      });
      groups.forEach(function (g) {
        var labels = g.points.map(function (p) {
          return String(p.label || '');
        });
        var name = labels.join('; ');
        var options = { title: name, alt: name, keyboard: true };
        if (g.points.length > 1) {
          options.icon = L.divIcon({ className: 'crocevia-map-group', html: '', iconSize: [36, 36] });
        }
        var marker = L.marker(g.latLng, options);
        marker.bindPopup(g.points.length > 1 ? groupContent(g.points) : popupContent(g.points[0]));
        marker.addTo(markers);
        if (g.points.length > 1) {
          var icon = marker.getElement();
          icon.textContent = String(g.points.length);
          // The name starts with what the marker shows (WCAG 2.5.3, label in name).
          icon.setAttribute('aria-label', g.points.length + ': ' + name);
        }
      });
    }

    function fit() {
      if (!bounds.isValid()) {
        map.setView([42.5, 12.5], 5); // Italy
      } else if (points.length === 1) {
        map.setView(bounds.getCenter(), Number(el.getAttribute('data-zoom')) || 15);
      } else {
        map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
      }
    }
    fit();
    drawPoints();
    map.on('zoomend', drawPoints);

    var geojsonUrl = el.getAttribute('data-geojson-url');
    if (geojsonUrl) {
      fetch(geojsonUrl, { headers: { Accept: 'application/geo+json, application/json' } })
        .then(function (r) {
          if (!r.ok) {
            throw new Error('HTTP ' + r.status);
          }
          return r.json();
        })
        .then(function (data) {
          var layer = L.geoJSON(data, {
            style: { color: '#0066cc', weight: 2, fillColor: '#0066cc', fillOpacity: 0.08 },
            interactive: false
          }).addTo(map);
          layer.bringToBack();
          if (!points.length && layer.getBounds().isValid()) {
            bounds = layer.getBounds();
            map.fitBounds(bounds, { padding: [12, 12] });
          }
        })
        .catch(function (e) {
          if (window.console) {
            console.warn('crocevia: boundaries not loaded from ' + geojsonUrl, e);
          }
        });
    }
    el._crocevia_map = map;
  }

  function initMaps(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var maps = scope.querySelectorAll('.crocevia-map');
    for (var i = 0; i < maps.length; i++) {
      initMap(maps[i]);
    }
    if (scope !== document && scope.classList && scope.classList.contains('crocevia-map')) {
      initMap(scope);
    }
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form || !form.hasAttribute || !form.hasAttribute('data-busy')) {
      return;
    }
    var status = form.querySelector('[data-busy-status]');
    if (status) {
      status.textContent = form.getAttribute('data-busy');
    }
    var buttons = form.querySelectorAll('button[type="submit"]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].disabled = true;
    }
  });

  document.addEventListener('click', function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest('[data-crocevia-print]') : null;
    if (button) {
      window.print();
    }
  });

  var usingMouse = false;
  document.addEventListener('mousedown', function () {
    usingMouse = true;
  }, true);
  document.addEventListener('keydown', function () {
    usingMouse = false;
  }, true);
  document.addEventListener('focusin', function (event) {
    var target = event.target;
    if (target && target.setAttribute) {
      target.setAttribute('data-focus-mouse', usingMouse ? 'true' : 'false');
    }
  });

  function start() {
    initMaps(document);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
  // htmx 2 fires htmx:load on every piece of content it swaps in.
  document.addEventListener('htmx:load', function (event) {
    initMaps(event.target);
  });

  window.Crocevia = { initMaps: initMaps };
})();
