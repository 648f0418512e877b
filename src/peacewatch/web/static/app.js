// peacewatch pages: the map (Leaflet, no tile server) and the forecast table. No inline script:
// the CSP allows scripts from this origin only.
"use strict";

// The page's words in its language: a JSON block the server writes from the catalogs.
const MESSAGES = (() => {
  const block = document.getElementById("messages");
  try { return block ? JSON.parse(block.textContent) : {}; } catch (e) { return {}; }
})();

function t(message, values = {}) {
  const text = MESSAGES[message] || message;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function params(form) {
  const data = new FormData(form);
  const query = new URLSearchParams();
  query.set("country", data.get("country"));
  if (data.get("source")) query.set("source", data.get("source"));
  if (data.get("category")) query.set("category", data.get("category"));
  if (!data.get("all_years")) {
    query.set("date_from", data.get("year") + "-01-01");
    query.set("date_to", data.get("year") + "-12-31");
  }
  return query;
}

// Sequential classes for the choropleth (ColorBrewer Reds, 5 classes).
const REDS = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];

function breaks(values) {
  // Class upper bounds: quantiles of the regions' non-zero deaths (at most 5 distinct).
  const sorted = values.filter((v) => v > 0).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const bounds = [0.2, 0.4, 0.6, 0.8, 1].map((q) => sorted[Math.ceil(q * sorted.length) - 1]);
  return [...new Set(bounds)];
}

function fill(value, bounds) {
  if (!value) return "#ffffff";
  const i = bounds.findIndex((b) => value <= b);
  return REDS[Math.max(0, REDS.length - bounds.length + (i < 0 ? bounds.length - 1 : i))];
}

function textBox(className) {
  // A popup built as DOM nodes with textContent: names typed by reporters are never read as
  // HTML. `line(text, className)` adds a line and returns it.
  const box = document.createElement("div");
  box.className = className;
  const line = (text, lineClass) => {
    const el = document.createElement("div");
    if (lineClass) el.className = lineClass;
    el.textContent = text;
    box.appendChild(el);
    return el;
  };
  return [box, line];
}

function popup(p) {
  const [box, line] = textBox("event-popup");
  const day = String(p.date_start || "").slice(0, 10);
  const end = String(p.date_end || "").slice(0, 10);
  const category = p.category ? t(p.category).replaceAll("_", " ") : "";
  line([day + (end && end !== day ? " – " + end : ""), category, p.admin1 || ""]
    .filter(Boolean).join(" · "), "when");
  const actors = [p.actor1, p.actor2].filter(Boolean).join(" – ");
  if (actors) line(actors, "actors");
  const range = p.fatalities_low != null && p.fatalities_high != null &&
    (p.fatalities_low !== p.fatalities_best || p.fatalities_high !== p.fatalities_best)
    ? ` (${p.fatalities_low}–${p.fatalities_high})` : "";
  line(t("{deaths} deaths", { deaths: p.fatalities_best ?? 0 }) + range, "deaths");
  const source = line(`${p.source} ${p.source_event_id || ""}`.trim(), "source");
  if (p.source === "incident" && p.source_event_id) {
    source.textContent = "";
    const a = document.createElement("a");
    a.href = "/incidents/" + encodeURIComponent(p.source_event_id);
    a.textContent = t("incident {id}", { id: p.source_event_id });
    source.appendChild(a);
  }
  if (p.also_in) line(t("also in: {rows}", { rows: p.also_in }), "also");
  return box;
}

function campPopup(p) {
  const [box, line] = textBox("camp-popup");
  line(`${t("Camp")}: ${p.name} (${p.mission})`, "when");
  const handed = String(p.closure_date || "").slice(0, 10);
  line(handed ? t("handed over {date}", { date: handed }) : t("open, or handover date unknown"));
  if (p.handover_order != null) line(t("handover order {n}", { n: p.handover_order }), "source");
  return box;
}

function setupMap() {
  const element = document.getElementById("map");
  if (!element || typeof L === "undefined") return;
  const status = document.getElementById("map-status");
  const form = document.getElementById("filters");
  const map = L.map(element, { attributionControl: false, zoomSnap: 0.25, fadeAnimation: false });
  // Drawn bottom to top: areas, camps, events (an event at a camp stays clickable).
  map.createPane("camps").style.zIndex = 450;
  map.createPane("events").style.zIndex = 460;
  let areas = null;
  let points = null;
  let camps = null;
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => L.DomUtil.create("div", "legend");
  legend.addTo(map);
  function drawLegend(bounds, title) {
    const box = legend.getContainer();
    box.textContent = "";
    const head = document.createElement("strong");
    head.textContent = title;
    box.appendChild(head);
    const rows = [[0, 0], ...bounds.map((b, i) => [i ? bounds[i - 1] + 1 : 1, b])];
    for (const [low, high] of rows) {
      const row = document.createElement("div");
      const swatch = document.createElement("i");
      swatch.style.background = fill(high, bounds);
      row.appendChild(swatch);
      row.appendChild(document.createTextNode(low === high ? ` ${high}` : ` ${low}–${high}`));
      box.appendChild(row);
    }
  }
  function drawCamps(body, year) {
    if (camps) camps.remove();
    camps = null;
    if (!form.elements.camps.checked) return;
    const start = `${year}-01-01`;
    camps = L.geoJSON(body, {
      pointToLayer: (f, latlng) => {
        const handed = String(f.properties.closure_date || "").slice(0, 10);
        const closed = handed && !form.elements.all_years.checked && handed < start;
        return L.marker(latlng, {
          icon: L.divIcon({ className: "camp" + (closed ? " camp-closed" : ""), iconSize: [12, 12] }),
          title: f.properties.name,
          keyboard: false,
          pane: "camps",
        });
      },
      onEachFeature: (f, layer) => layer.bindPopup(() => campPopup(f.properties)),
    }).addTo(map);
  }
  async function draw() {
    const query = params(form);
    const year = form.elements.year.value;
    const grid = form.elements.layer.value === "grid";
    document.getElementById("year-label").textContent = year;
    status.textContent = t("loading ...");
    const areaQuery = new URLSearchParams(query);
    areaQuery.delete("source");
    areaQuery.delete("category");
    // All sources: one real event is one point (rows matched across sources are folded).
    const eventQuery = new URLSearchParams(query);
    if (!query.get("source")) eventQuery.set("once", "true");
    const [shapes, eventsResponse, campBody] = await Promise.all([
      fetch(`/api/map/${grid ? "grid" : "admin1"}?` + areaQuery).then((r) => r.json()),
      fetch("/api/events?format=geojson&limit=5000&" + eventQuery),
      fetch("/api/map/camps?country=" + encodeURIComponent(query.get("country")))
        .then((r) => r.json()),
    ]);
    const events = await eventsResponse.json();
    if (!eventsResponse.ok) {
      // e.g. a source whose raw rows this role may not see (the licence guard)
      status.textContent = events.error ? events.error.message : t("could not load the events");
      return;
    }
    if (areas) areas.remove();
    if (points) points.remove();
    const bounds = breaks((shapes.features || []).map((f) => f.properties.deaths || 0));
    areas = L.geoJSON(shapes, {
      style: (f) => ({
        color: grid ? "#999" : "#555", weight: grid ? 0.4 : 1,
        fillColor: fill(f.properties.deaths, bounds), fillOpacity: 0.7,
        className: grid ? "cell" : "region",
      }),
      onEachFeature: (f, layer) => {
        if (!grid) {
          layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "region-label" });
        }
        layer.on("click", () => {
          status.textContent = t("{name}: {events} events, {deaths} deaths", f.properties);
        });
      },
    }).addTo(map);
    drawLegend(bounds, t(grid ? "Deaths per cell" : "Deaths per region"));
    points = L.geoJSON(events, {
      pointToLayer: (f, latlng) =>
        L.circleMarker(latlng, {
          radius: 2 + Math.sqrt(f.properties.fatalities_best || 0),
          color: f.properties.source === "incident" ? "#1f4e79" : "#c0504d",
          weight: 1,
          fillOpacity: 0.5,
          pane: "events",
          className: "event-" + f.properties.source + (f.properties.also_in ? " event-matched" : ""),
        }),
      onEachFeature: (f, layer) => layer.bindPopup(() => popup(f.properties)),
    }).addTo(map);
    drawCamps(campBody, year);
    if (shapes.features && shapes.features.length) map.fitBounds(areas.getBounds());
    const folded = events.features.filter((f) => f.properties.also_in).length;
    const notes = [t("{shown} of {total} events shown", { shown: events.features.length, total: events.total })];
    if (folded) notes.push(t("{folded} reported by more than one source, drawn once", { folded }));
    if (events.withheld) notes.push(t("{withheld} licensed rows withheld: sign in with a granted role", events));
    if (grid && shapes.outside && shapes.outside.deaths) {
      notes.push(t("{deaths} deaths in cells whose centre is outside the country are not drawn", shapes.outside));
    }
    status.textContent = notes.join(" · ");
    status.dataset.total = events.total;
  }
  // The view lives in the URL (a link shows the same map) and its rows can be exported.
  const given = new URLSearchParams(window.location.search);
  for (const name of ["source", "category", "year", "layer"]) {
    if (given.has(name) && form.elements[name]) form.elements[name].value = given.get(name);
  }
  if (given.get("all_years") === "1") form.elements.all_years.checked = true;
  if (given.get("camps") === "0") form.elements.camps.checked = false;
  function remember() {
    const data = new FormData(form);
    const state = new URLSearchParams({ country: data.get("country") });
    if (data.get("source")) state.set("source", data.get("source"));
    if (data.get("category")) state.set("category", data.get("category"));
    state.set("year", data.get("year"));
    if (data.get("all_years")) state.set("all_years", "1");
    if (data.get("layer") === "grid") state.set("layer", "grid");
    if (!data.get("camps")) state.set("camps", "0");
    window.history.replaceState(null, "", "/map?" + state);
    // The language link comes back to this view, not to the one the page was opened with.
    for (const link of document.querySelectorAll("a[hreflang]")) {
      link.href = `/lang/${link.hreflang}?next=` + encodeURIComponent("/map?" + state);
    }
    const query = params(form);
    if (!query.get("source")) query.set("once", "true");
    for (const format of ["csv", "geojson"]) {
      const link = document.getElementById("export-" + format);
      if (link) link.href = `/api/events?format=${format}&limit=5000&` + query;
    }
  }
  const redraw = () => { remember(); return draw(); };
  form.addEventListener("change", redraw);
  form.elements.year.addEventListener("input", redraw);
  redraw().catch((e) => { status.textContent = t("could not load the map data: {error}", { error: e }); });
}

async function setupForecast() {
  const table = document.getElementById("forecast");
  if (!table) return;
  const response = await fetch(`/api/forecasts?country=${table.dataset.country}&unit=admin1&horizon=3`);
  const body = await response.json();
  if (!response.ok) { table.textContent = body.error.message; return; }
  const months = [...new Set(body.items.map((r) => r.month.slice(0, 7)))];
  const regions = [...new Set(body.items.map((r) => r.unit_name))];
  table.textContent = "";
  const head = table.insertRow();
  [t("Region"), ...months.map((month) => t("{month}: P(>= 25), 5-95% deaths", { month }))]
    .forEach((text) => {
      const th = document.createElement("th"); th.textContent = text; head.appendChild(th);
    });
  for (const region of regions) {
    const row = table.insertRow();
    row.insertCell().textContent = region;
    for (const month of months) {
      const item = body.items.find((r) => r.unit_name === region && r.month.startsWith(month));
      const cell = row.insertCell();
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = `${Math.round(item.p_ge_25 * 80)}px`;
      cell.appendChild(bar);
      cell.append(` ${(item.p_ge_25 * 100).toFixed(0)}% (${Math.round(item.q05)}-${Math.round(item.q95)})`);
    }
  }
}

function outlines(map, country, labelled) {
  // A country's admin-1 regions as white outlines (named if `labelled`), the map fitted to
  // them; resolves to the layer, or null when the country has no boundaries.
  if (!country) return Promise.resolve(null);
  return fetch("/api/map/admin1?country=" + encodeURIComponent(country))
    .then((r) => (r.ok ? r.json() : null))
    .then((shapes) => {
      if (!shapes) return null;
      const regions = L.geoJSON(shapes, {
        style: { color: "#555", weight: 1, fillColor: "#fff", fillOpacity: 0.6, className: "region" },
        onEachFeature: labelled
          ? (f, layer) => layer.bindTooltip(f.properties.name,
            { permanent: true, direction: "center", className: "region-label" })
          : undefined,
      }).addTo(map);
      map.fitBounds(regions.getBounds());
      return regions;
    });
}

function setupPicker() {
  // The incident form's map: a click fills latitude and longitude; typed ones move the pin.
  const element = document.getElementById("picker");
  if (!element || typeof L === "undefined") return;
  const form = element.closest("form");
  const shown = document.getElementById("picked");
  const map = L.map(element, {
    attributionControl: false, zoomSnap: 0.25, fadeAnimation: false, zoomAnimation: false,
  });
  map.setView([0, 0], 2);
  let pin = null;
  function place(lat, lon, fill) {
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
    if (pin) pin.remove();
    pin = L.circleMarker([lat, lon], { radius: 7, color: "#1f4e79", weight: 2, className: "picked" })
      .addTo(map);
    if (fill) {
      form.elements.latitude.value = lat.toFixed(5);
      form.elements.longitude.value = lon.toFixed(5);
    }
    shown.textContent = t("chosen point: {lat}, {lon}", { lat: lat.toFixed(5), lon: lon.toFixed(5) });
  }
  map.on("click", (e) => place(e.latlng.lat, e.latlng.lng, true));
  for (const name of ["latitude", "longitude"]) {
    form.elements[name].addEventListener("change", () =>
      place(parseFloat(form.elements.latitude.value), parseFloat(form.elements.longitude.value), false));
  }
  outlines(map, element.dataset.country, true).then((regions) => {
    if (!regions) return;
    regions.on("click", (e) => place(e.latlng.lat, e.latlng.lng, true));
    place(parseFloat(form.elements.latitude.value), parseFloat(form.elements.longitude.value), false);
  });
}

function setupIncidentMap() {
  // The incidents the page lists, as points (read from the table's rows: exactly what this
  // user may see), over the country's regions.
  const element = document.getElementById("incident-map");
  if (!element || typeof L === "undefined") return;
  const map = L.map(element, {
    attributionControl: false, zoomSnap: 0.25, fadeAnimation: false, zoomAnimation: false,
  });
  const points = [];
  for (const row of document.querySelectorAll("#incident-list tr[data-id]")) {
    const lat = parseFloat(row.dataset.lat), lon = parseFloat(row.dataset.lon);
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) continue;
    const marker = L.circleMarker([lat, lon], {
      radius: 6, color: "#1f4e79", weight: 2, fillOpacity: 0.6,
      className: "incident-point status-" + row.dataset.status,
    }).addTo(map);
    marker.bindPopup(() => {
      const box = document.createElement("div");
      const a = document.createElement("a");
      a.href = "/incidents/" + encodeURIComponent(row.dataset.id);
      a.textContent = t("incident {id}", { id: row.dataset.id });
      box.appendChild(a);
      box.appendChild(document.createTextNode(
        ` · ${row.dataset.when} · ${t(row.dataset.category).replaceAll("_", " ")} · ${row.dataset.status}`));
      return box;
    });
    points.push([lat, lon]);
  }
  map.setView([0, 0], 2);
  if (points.length) map.fitBounds(points, { maxZoom: 8, padding: [20, 20] });
  outlines(map, element.dataset.country, false).then((regions) => {
    if (regions) regions.bringToBack();
  });
}

setupMap();
setupPicker();
setupIncidentMap();
setupForecast();
