"""Withdrawal impact: did violence change where the mission left? A staggered event study.

Design (docs/adr/010-impact-estimator.md):
- Units: every camp with coordinates and a handover date, its outcome counted within R km
  (`site:<R>` panel); comparisons: camps not yet handed over, and PRIO-GRID cells of the same
  admin-1 regions whose centre lies beyond the largest radius from every camp ("distant areas").
- Estimator: Poisson pseudo-maximum-likelihood with unit and month fixed effects (statsmodels
  GLM). Pooled effect: one `post` indicator (treated unit, month >= handover month); event study:
  one indicator per month relative to handover in [-before, after], -1 left out. Units whose
  outcome is zero throughout carry no information and are dropped, as are lags with no events.
- Inference: a wild cluster (score) bootstrap by unit: Webb six-point weights on each unit's summed
  influence on the coefficients, 999 draws, fixed seed; 95% percentile intervals; small-sample
  factor sqrt(G/(G-1)), and the draws widened by t(G_t - 1)/z where G_t is the number of sites
  that inform the coefficient (few treated clusters). No refits, so it is fast.
- Honest limits: months after handover per site in the data; an interval that contains no change
  says "no detectable change", one whose upper/lower rate ratio exceeds 10 says "too wide".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import shapely

from peacewatch import geo, panel
from peacewatch.analysis import presence
from peacewatch.analysis.poisson import REPLICATIONS, SEED, Estimate, fit
from peacewatch.errors import PeacewatchError
from peacewatch.store import Store

OUTCOMES = ("fatalities_best", "events", "civilian_fatalities")
PLACEBO_SHIFTS = (12, 24)


@dataclass(frozen=True)
class ImpactSpec:
    """What to estimate."""

    country: str
    radii: tuple[float, ...] = (25.0, 50.0, 100.0)
    before: int = 12
    after: int = 6
    outcome: str = "fatalities_best"
    replications: int = REPLICATIONS
    seed: int = SEED


@dataclass
class ImpactResult:
    """Everything `peacewatch impact` writes."""

    spec: ImpactSpec
    sites: pd.DataFrame
    per_site: pd.DataFrame
    pooled: pd.DataFrame
    event_study: pd.DataFrame
    sensitivity: pd.DataFrame
    placebo: pd.DataFrame
    leave_one_out: pd.DataFrame
    limits: list[str] = field(default_factory=list)
    data_end: date | None = None
    presence: pd.DataFrame = field(default_factory=pd.DataFrame)
    series: pd.DataFrame = field(default_factory=pd.DataFrame)


def site_table(store: Store, country: str) -> pd.DataFrame:
    """Camps with coordinates (or a documented geocode) and handover dates, and why any is out."""
    camps = panel.camp_sites(store, country)
    if camps.empty:
        raise PeacewatchError(f"no camps for {country} in the store: load a camps table first")
    camps["status"] = "used"
    camps.loc[camps["closure_date"].isna(), "status"] = "skipped: no handover date"
    camps.loc[camps["latitude"].isna(), "status"] = "skipped: no coordinates"
    camps["handover_month"] = (
        pd.to_datetime(camps["closure_date"]).dt.to_period("M").dt.to_timestamp()
    )
    return camps


def _control_cells(store: Store, country: str, sites: pd.DataFrame, max_radius: float) -> list[str]:
    """PRIO-GRID cells of the sites' admin-1 regions, centre beyond `max_radius` of every camp."""
    regions = store.admin1_polygons(country)
    if regions.empty:
        return []
    polys = list(regions["geometry"])
    located = geo.locate_points(sites["latitude"], sites["longitude"], polys)
    keep = {int(i) for i in located if i >= 0}
    cells = []
    for gid in panel.country_cells(store, country):
        lat, lon = geo.priogrid_centroid(gid)
        inside = [i for i in keep if shapely.contains_xy(polys[i], lon, lat)]
        if not inside:
            continue
        near = min(
            geo.haversine_km(lat, lon, s_lat, s_lon)
            for s_lat, s_lon in zip(sites["latitude"], sites["longitude"], strict=True)
        )
        if near > max_radius:
            cells.append(str(gid))
    return cells


def build_data(
    store: Store, spec: ImpactSpec, radius: float, sites: pd.DataFrame, end: date
) -> pd.DataFrame:
    """Long data: unit, kind (site/control), month, y, handover_month (NaT for controls)."""
    used = sites[sites["status"] == "used"]
    # Enough months before the first handover for the widest window and the placebo shifts.
    lead = max(spec.before, 24) + max(PLACEBO_SHIFTS)
    start = (used["handover_month"].min() - pd.DateOffset(months=lead)).date()
    site_panel = panel.panel(store, f"site:{radius:g}", spec.country, start, end)
    site_panel = site_panel[site_panel["unit"].isin(used["camp_id"])]
    handover = dict(zip(used["camp_id"], used["handover_month"], strict=True))
    site_long = pd.DataFrame(
        {
            "unit": "site:" + site_panel["unit"],
            "kind": "site",
            "month": pd.to_datetime(site_panel["month"]),
            "y": site_panel[spec.outcome].to_numpy(),
            "handover_month": site_panel["unit"].map(handover),
        }
    )
    all_camps = sites[sites["latitude"].notna()]
    cells = _control_cells(store, spec.country, all_camps, max(spec.radii))
    grid = panel.panel(store, "priogrid", spec.country, start, end)
    grid = grid[grid["unit"].isin(cells)]
    control_long = pd.DataFrame(
        {
            "unit": "cell:" + grid["unit"],
            "kind": "control",
            "month": pd.to_datetime(grid["month"]),
            "y": grid[spec.outcome].to_numpy(),
            "handover_month": pd.NaT,
        }
    )
    data = pd.concat([site_long, control_long], ignore_index=True)
    data["k"] = (data["month"].dt.year - data["handover_month"].dt.year) * 12 + (
        data["month"].dt.month - data["handover_month"].dt.month
    )
    return data


def _window(data: pd.DataFrame, before: int, after: int) -> pd.DataFrame:
    """Comparison cells: every month; sites: the months from `before` to `after` of handover."""
    site = data["kind"] == "site"
    return data[~site | data["k"].between(-before, after)].reset_index(drop=True)


def pooled_effect(data: pd.DataFrame, spec: ImpactSpec) -> Estimate:
    """exp(coef) - 1 = the change in the outcome after handover, pooled over sites."""
    data = _window(data, spec.before, spec.after)
    post = ((data["kind"] == "site") & (data["k"] >= 0)).astype(float)
    return fit(data, pd.DataFrame({"post": post}), spec.replications, spec.seed)["post"]


def event_study(data: pd.DataFrame, spec: ImpactSpec) -> pd.DataFrame:
    """One coefficient per month relative to handover (k = -1 is the reference)."""
    data = _window(data, spec.before, spec.after)
    ks = [k for k in range(-spec.before, spec.after + 1) if k != -1]
    regs = pd.DataFrame(
        {f"k{k}": ((data["kind"] == "site") & (data["k"] == k)).astype(float) for k in ks}
    )
    est = fit(data, regs, spec.replications, spec.seed)
    rows = [{"k": -1, "coef": 0.0, "low": 0.0, "high": 0.0, "p_value": float("nan")}]
    rows += [
        {
            "k": k,
            "coef": est[f"k{k}"].coef,
            "low": est[f"k{k}"].low,
            "high": est[f"k{k}"].high,
            "p_value": est[f"k{k}"].p_value,
        }
        for k in ks
    ]
    return pd.DataFrame(rows).sort_values("k").reset_index(drop=True)


def _row(label: dict[str, object], est: Estimate) -> dict[str, object]:
    rr, lo, hi = est.rate_ratio
    return {
        **label,
        "coef": est.coef,
        "rate_ratio": rr,
        "rr_low": lo,
        "rr_high": hi,
        "p_value": est.p_value,
        "clusters": est.clusters,
        "verdict": est.verdict(),
    }


def per_site_table(data: pd.DataFrame, spec: ImpactSpec, radius: float) -> pd.DataFrame:
    """Per site: mean monthly outcome before and after handover, and months available after."""
    rows = []
    for unit, part in data[data["kind"] == "site"].groupby("unit"):
        before = part[part["k"].between(-spec.before, -1)]
        after = part[part["k"].between(0, spec.after)]
        rows.append(
            {
                "site": str(unit).removeprefix("site:"),
                "radius_km": radius,
                "handover_month": part["handover_month"].iloc[0].strftime("%Y-%m"),
                f"mean_{spec.before}m_before": before["y"].mean() if len(before) else np.nan,
                "months_after_in_data": len(after),
                "mean_after": after["y"].mean() if len(after) else np.nan,
                "total_after": after["y"].sum(),
            }
        )
    return pd.DataFrame(rows)


def run(store: Store, spec: ImpactSpec) -> ImpactResult:
    """The whole analysis for every radius; see the module docstring."""
    if spec.outcome not in OUTCOMES:
        raise PeacewatchError(f"outcome: {spec.outcome!r} is not one of {', '.join(OUTCOMES)}")
    sites = site_table(store, spec.country)
    used = sites[sites["status"] == "used"]
    if used.empty:
        raise PeacewatchError(f"no camp of {spec.country} has coordinates and a handover date")
    _first, end = panel.default_range(store, spec.country.upper())
    pooled_rows, es_rows, site_rows, sens_rows, placebo_rows, loo_rows = [], [], [], [], [], []
    datasets = {}
    for radius in spec.radii:
        data = build_data(store, spec, radius, sites, end)
        datasets[radius] = data
        main = pooled_effect(data, spec)
        pooled_rows.append(_row({"radius_km": radius}, main))
        es = event_study(data, spec)
        es.insert(0, "radius_km", radius)
        es_rows.append(es)
        site_rows.append(per_site_table(data, spec, radius))
        for before in sorted({6, spec.before, 24}):
            for after in sorted({3, spec.after}):
                sub = ImpactSpec(
                    spec.country,
                    spec.radii,
                    before,
                    after,
                    spec.outcome,
                    spec.replications,
                    spec.seed,
                )
                sens_rows.append(
                    _row(
                        {"radius_km": radius, "before": before, "after": after},
                        main
                        if (before, after) == (spec.before, spec.after)
                        else pooled_effect(data, sub),
                    )
                )
        for shift in PLACEBO_SHIFTS:
            fake = data[(data["kind"] == "control") | (data["k"] < 0)].copy()
            fake["handover_month"] = fake["handover_month"] - pd.DateOffset(months=shift)
            fake["k"] = fake["k"] + shift
            placebo_rows.append(
                _row(
                    {"radius_km": radius, "fake_handover": f"-{shift} months"},
                    pooled_effect(fake, spec),
                )
            )
    main_radius = spec.radii[0]
    data = datasets[main_radius]
    for unit in sorted(data.loc[data["kind"] == "site", "unit"].unique()):
        loo_rows.append(
            _row(
                {"radius_km": main_radius, "left_out": unit.removeprefix("site:")},
                pooled_effect(data[data["unit"] != unit], spec),
            )
        )
    per_site = pd.concat(site_rows, ignore_index=True)
    missions = sorted(set(sites["mission"].dropna()))
    presence_rows = []
    for mission in missions:
        try:
            found = presence.presence_effect(
                store, spec.country, mission, "civilian_fatalities", spec.replications, spec.seed
            )
        except PeacewatchError:
            continue
        presence_rows.append(found.assign(mission=mission))
    limits = _limits(sites, per_site, spec, end)
    return ImpactResult(
        spec,
        sites,
        per_site,
        pd.DataFrame(pooled_rows),
        pd.concat(es_rows, ignore_index=True),
        pd.DataFrame(sens_rows),
        pd.DataFrame(placebo_rows),
        pd.DataFrame(loo_rows),
        limits,
        end,
        pd.concat(presence_rows, ignore_index=True) if presence_rows else pd.DataFrame(),
        pd.concat(
            [
                d.loc[d["kind"] == "site", ["unit", "month", "y", "handover_month", "k"]].assign(
                    radius_km=r, site=lambda x: x["unit"].str.removeprefix("site:")
                )
                for r, d in datasets.items()
            ],
            ignore_index=True,
        ).rename(columns={"y": spec.outcome, "k": "months_from_handover"})[
            ["site", "radius_km", "month", spec.outcome, "handover_month", "months_from_handover"]
        ],
    )


def _limits(sites: pd.DataFrame, per_site: pd.DataFrame, spec: ImpactSpec, end: date) -> list[str]:
    out = [f"The loaded event data end on {end:%d %b %Y}."]
    for row in sites[sites["status"] != "used"].to_dict("records"):
        out.append(f"{row['name']}: {row['status']}.")
    first = per_site[per_site["radius_km"] == spec.radii[0]]
    short = first[first["months_after_in_data"] < spec.after]
    if len(short):
        out.append(
            f"{len(short)} of {len(first)} sites have fewer than {spec.after} months after "
            "their handover in the data: "
            + ", ".join(
                f"{r['site']} ({r['months_after_in_data']})" for r in short.to_dict("records")
            )
            + ". Post-handover estimates rest on these few months."
        )
    return out


def simulate(
    seed: int, effect: float, sites: int = 15, controls: int = 40, months: int = 48
) -> pd.DataFrame:
    """A synthetic site panel with a known multiplicative effect exp(effect) after handover.

    Unit effects ~ N(log 2, 1), month effects ~ N(0, 0.3), handovers uniform over months
    24..40, outcomes Poisson. Used to check that the estimator recovers what was injected.
    """
    rng = np.random.default_rng(seed)
    n = sites + controls
    month_index = pd.date_range("2020-01-01", periods=months, freq="MS")
    unit_fe = rng.normal(np.log(2.0), 1.0, n)
    month_fe = rng.normal(0.0, 0.3, months)
    handover = rng.integers(24, 41, sites)
    unit = np.repeat(np.arange(n), months)
    t = np.tile(np.arange(months), n)
    is_site = unit < sites
    start = np.where(is_site, np.concatenate([handover, np.zeros(controls, int)])[unit], 0)
    post = is_site & (t >= start)
    y = rng.poisson(np.exp(unit_fe[unit] + month_fe[t] + np.where(post, effect, 0.0)))
    handover_month = pd.Series(month_index[start]).where(is_site)
    return pd.DataFrame(
        {
            "unit": np.where(is_site, "site:", "cell:") + unit.astype(str),
            "kind": np.where(is_site, "site", "control"),
            "month": month_index[t],
            "y": y,
            "handover_month": handover_month.to_numpy(),
            "k": np.where(is_site, t - start, np.nan),
        }
    )
