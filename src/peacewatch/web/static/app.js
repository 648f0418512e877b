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

function setupMap() {
  const element = document.getElementById("map");
  if (!element || typeof L === "undefined") return;
  const status = document.getElementById("map-status");
  const form = document.getElementById("filters");
  const map = L.map(element, { attributionControl: false });
  let regions = null;
  let points = null;
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
    regions = L.geoJSON(shapes, {
      style: () => ({ color: "#555", weight: 1, fillColor: "#fff", fillOpacity: 0.6 }),
      onEachFeature: (f, layer) =>
        layer.bindTooltip(`${f.properties.name}: ${f.properties.events} events, ${f.properties.deaths} deaths`),
    }).addTo(map);
    points = L.geoJSON(events, {
      pointToLayer: (f, latlng) =>
        L.circleMarker(latlng, {
          radius: 2 + Math.sqrt(f.properties.fatalities_best || 0),
          color: f.properties.source === "incident" ? "#1f4e79" : "#c0504d",
          weight: 1,
          fillOpacity: 0.5,
          className: "event-" + f.properties.source,
        }),
      onEachFeature: (f, layer) =>
        layer.bindPopup(`${f.properties.date_start} ${f.properties.category} (${f.properties.source}): ${f.properties.fatalities_best} deaths`),
    }).addTo(map);
    if (shapes.features && shapes.features.length) map.fitBounds(regions.getBounds());
    status.textContent = `${events.features.length} of ${events.total} events shown` +
      (events.withheld ? ` (${events.withheld} licensed rows withheld: sign in with a granted role)` : "");
    status.dataset.total = events.total;
  }
  form.addEventListener("change", draw);
  form.elements.year.addEventListener("input", draw);
  draw().catch((e) => { status.textContent = "could not load the map data: " + e; });
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
