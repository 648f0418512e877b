// peacewatch pages: the map (Leaflet, no tile server) and the forecast table. No inline script:
// the CSP allows scripts from this origin only.
"use strict";

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

function popup(p) {
  // Built as DOM nodes with textContent: names typed by reporters are never read as HTML.
  const box = document.createElement("div");
  box.className = "event-popup";
  const line = (text, className) => {
    const el = document.createElement("div");
    if (className) el.className = className;
    el.textContent = text;
    box.appendChild(el);
    return el;
  };
  const day = String(p.date_start || "").slice(0, 10);
  const end = String(p.date_end || "").slice(0, 10);
  line([day + (end && end !== day ? " – " + end : ""), String(p.category || "").replaceAll("_", " "),
        p.admin1 || ""].filter(Boolean).join(" · "), "when");
  const actors = [p.actor1, p.actor2].filter(Boolean).join(" – ");
  if (actors) line(actors, "actors");
  const range = p.fatalities_low != null && p.fatalities_high != null &&
    (p.fatalities_low !== p.fatalities_best || p.fatalities_high !== p.fatalities_best)
    ? ` (${p.fatalities_low}–${p.fatalities_high})` : "";
  line(`${p.fatalities_best ?? 0} deaths${range}`, "deaths");
  const source = line(`${p.source} ${p.source_event_id || ""}`.trim(), "source");
  if (p.source === "incident" && p.source_event_id) {
    source.textContent = "";
    const a = document.createElement("a");
    a.href = "/incidents/" + encodeURIComponent(p.source_event_id);
    a.textContent = "incident " + p.source_event_id;
    source.appendChild(a);
  }
  return box;
}

function setupMap() {
  const element = document.getElementById("map");
  if (!element || typeof L === "undefined") return;
  const status = document.getElementById("map-status");
  const form = document.getElementById("filters");
  const map = L.map(element, { attributionControl: false });
  let regions = null;
  let points = null;
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => L.DomUtil.create("div", "legend");
  legend.addTo(map);
  function drawLegend(bounds) {
    const box = legend.getContainer();
    box.textContent = "";
    const title = document.createElement("strong");
    title.textContent = "Deaths per region";
    box.appendChild(title);
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
  async function draw() {
    const query = params(form);
    document.getElementById("year-label").textContent = form.elements.year.value;
    status.textContent = "loading ...";
    const regionQuery = new URLSearchParams(query);
    regionQuery.delete("source");
    regionQuery.delete("category");
    const [shapes, eventsResponse] = await Promise.all([
      fetch("/api/map/admin1?" + regionQuery).then((r) => r.json()),
      fetch("/api/events?format=geojson&limit=5000&" + query),
    ]);
    const events = await eventsResponse.json();
    if (!eventsResponse.ok) {
      // e.g. a source whose raw rows this role may not see (the licence guard)
      status.textContent = events.error ? events.error.message : "could not load the events";
      return;
    }
    if (regions) regions.remove();
    if (points) points.remove();
    const bounds = breaks((shapes.features || []).map((f) => f.properties.deaths || 0));
    regions = L.geoJSON(shapes, {
      style: (f) => ({
        color: "#555", weight: 1, fillColor: fill(f.properties.deaths, bounds), fillOpacity: 0.7,
        className: "region",
      }),
      onEachFeature: (f, layer) => {
        layer.bindTooltip(f.properties.name, { permanent: true, direction: "center", className: "region-label" });
        layer.on("click", () => {
          status.textContent = `${f.properties.name}: ${f.properties.events} events, ${f.properties.deaths} deaths`;
        });
      },
    }).addTo(map);
    drawLegend(bounds);
    points = L.geoJSON(events, {
      pointToLayer: (f, latlng) =>
        L.circleMarker(latlng, {
          radius: 2 + Math.sqrt(f.properties.fatalities_best || 0),
          color: f.properties.source === "incident" ? "#1f4e79" : "#c0504d",
          weight: 1,
          fillOpacity: 0.5,
          className: "event-" + f.properties.source,
        }),
      onEachFeature: (f, layer) => layer.bindPopup(() => popup(f.properties)),
    }).addTo(map);
    if (shapes.features && shapes.features.length) map.fitBounds(regions.getBounds());
    status.textContent = `${events.features.length} of ${events.total} events shown` +
      (events.withheld ? ` (${events.withheld} licensed rows withheld: sign in with a granted role)` : "");
    status.dataset.total = events.total;
  }
  // The view lives in the URL (a link shows the same map) and its rows can be exported.
  const given = new URLSearchParams(window.location.search);
  for (const name of ["source", "category", "year"]) {
    if (given.has(name) && form.elements[name]) form.elements[name].value = given.get(name);
  }
  if (given.get("all_years") === "1") form.elements.all_years.checked = true;
  function remember() {
    const data = new FormData(form);
    const state = new URLSearchParams({ country: data.get("country") });
    if (data.get("source")) state.set("source", data.get("source"));
    if (data.get("category")) state.set("category", data.get("category"));
    state.set("year", data.get("year"));
    if (data.get("all_years")) state.set("all_years", "1");
    window.history.replaceState(null, "", "/map?" + state);
    const query = params(form);
    for (const format of ["csv", "geojson"]) {
      const link = document.getElementById("export-" + format);
      if (link) link.href = `/api/events?format=${format}&limit=5000&` + query;
    }
  }
  const redraw = () => { remember(); return draw(); };
  form.addEventListener("change", redraw);
  form.elements.year.addEventListener("input", redraw);
  redraw().catch((e) => { status.textContent = "could not load the map data: " + e; });
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
  ["Region", ...months.map((m) => `${m}: P(>= 25), 5-95% deaths`)].forEach((t) => {
    const th = document.createElement("th"); th.textContent = t; head.appendChild(th);
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

setupMap();
setupForecast();
