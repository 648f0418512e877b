"""Outputs of the withdrawal-impact analysis: tables (CSV), charts (SVG) and a plain summary."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from peacewatch import csvsafe, panel
from peacewatch.analysis.impact import ImpactResult
from peacewatch.report.charts import PALETTE, tidy_counts_axis, to_svg
from peacewatch.report.i18n import current
from peacewatch.store import Store

PUBLISHED_SHORT = "UN troops go with less violence against civilians"
TABLES = (
    "sites",
    "per_site",
    "pooled",
    "event_study",
    "sensitivity",
    "placebo",
    "leave_one_out",
    "presence",
    "series",
)


def event_study_svg(result: ImpactResult) -> str:
    """Event-study coefficients (rate ratios, log scale) with 95% intervals, one panel a radius."""
    radii, lang = list(result.spec.radii), current()
    fig, axes = plt.subplots(
        1, len(radii), figsize=(3.2 * len(radii), 3.0), sharey=True, squeeze=False
    )
    for ax, radius in zip(axes[0], radii, strict=True):
        part = result.event_study[result.event_study["radius_km"] == radius].dropna(subset=["coef"])
        rr = np.exp(part["coef"])
        err = [rr - np.exp(part["low"]), np.exp(part["high"]) - rr]
        ax.errorbar(
            part["k"],
            rr,
            yerr=err,
            fmt="o",
            ms=3,
            color=PALETTE[0],
            ecolor="#999",
            capsize=2,
            lw=0.8,
        )
        ax.axhline(1, color="#444", lw=0.8)
        ax.axvline(-0.5, color=PALETTE[1], lw=0.8, ls="--")
        ax.set_yscale("log")
        ax.set_title(lang._("within {radius} km", radius=f"{radius:g}"), fontsize=9)
        ax.set_xlabel(lang._("months from handover"))
    axes[0][0].set_ylabel(
        lang._("rate ratio of {outcome}", outcome=lang._(result.spec.outcome.replace("_", " ")))
    )
    fig.suptitle(
        lang._("Event study around camp handovers (95% wild-cluster bootstrap intervals)"),
        fontsize=9,
        x=0.01,
        ha="left",
    )
    return to_svg(fig)


def sparklines_svg(store: Store, result: ImpactResult) -> str:
    """Per site: the monthly outcome within the first radius, handover marked."""
    sites = result.sites[result.sites["status"] == "used"]
    radius = result.spec.radii[0]
    start = (sites["handover_month"].min() - pd.DateOffset(months=24)).date()
    frame = panel.panel(store, f"site:{radius:g}", result.spec.country, start, result.data_end)
    frame["month"] = pd.to_datetime(frame["month"])
    cols = 4
    rows = int(np.ceil(len(sites) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(8.5, 1.3 * rows), sharex=True, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, site in zip(axes.ravel(), sites.to_dict("records"), strict=False):
        ax.set_axis_on()
        part = frame[frame["unit"] == site["camp_id"]]
        ax.plot(part["month"], part[result.spec.outcome], color=PALETTE[0], lw=1)
        ax.axvline(site["handover_month"], color=PALETTE[1], lw=0.8, ls="--")
        ax.set_title(str(site["name"])[:28], fontsize=7, loc="left")
        ax.tick_params(labelsize=6)
        tidy_counts_axis(ax, dates=False)  # an empty panel: 0..1, not -0.05..0.05
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    fig.suptitle(
        current()._(
            "{outcome} per month within {radius} km (dashed: handover)",
            outcome=current()._(result.spec.outcome.replace("_", " ")),
            radius=f"{radius:g}",
        ),
        fontsize=9,
        x=0.01,
        ha="left",
    )
    return to_svg(fig)


def sites_map_svg(store: Store, result: ImpactResult) -> str:
    """Sites coloured by the change of their mean monthly outcome after vs before handover."""
    radius = result.spec.radii[0]
    per = result.per_site[result.per_site["radius_km"] == radius].copy()
    before_col = f"mean_{result.spec.before}m_before"
    per["change"] = np.log((per["mean_after"] + 0.5) / (per[before_col] + 0.5))
    sites = result.sites.merge(per, left_on="camp_id", right_on="site", how="inner")
    regions = store.admin1_polygons(result.spec.country)
    fig, ax = plt.subplots(figsize=(6, 5))
    if not regions.empty:
        outline = gpd.GeoSeries(list(regions["geometry"]), crs=4326)
        outline.boundary.plot(ax=ax, color="#777", lw=0.5)
    points = ax.scatter(
        sites["longitude"],
        sites["latitude"],
        c=sites["change"],
        cmap="coolwarm",
        vmin=-3,
        vmax=3,
        s=60,
        edgecolor="#222",
    )
    for row in sites.to_dict("records"):
        ax.annotate(
            str(row["name"])[:14],
            (row["longitude"], row["latitude"]),
            fontsize=6.5,
            xytext=(4, 3),
            textcoords="offset points",
        )
    fig.colorbar(points, ax=ax, shrink=0.6, label="log((after + 0.5) / (before + 0.5))")
    ax.set_title(
        f"Change near each vacated camp ({radius:g} km; after vs "
        f"{result.spec.before} months before)",
        fontsize=9,
        loc="left",
    )
    ax.set_axis_off()
    return to_svg(fig)


def summary_lines(result: ImpactResult) -> list[str]:
    """Plain sentences: the pooled effect per radius, placebo, and the limits."""
    out = []
    for row in result.pooled.to_dict("records"):
        out.append(
            f"Within {row['radius_km']:g} km: after handover, {result.spec.outcome} changed by a "
            f"factor of {row['rate_ratio']:.2f} (95% interval {row['rr_low']:.2f} to "
            f"{row['rr_high']:.2f}; {row['clusters']} units): {row['verdict']}."
        )
    for row in result.placebo.to_dict("records"):
        out.append(
            f"Placebo (handover moved {row['fake_handover']}, {row['radius_km']:g} km): factor "
            f"{row['rate_ratio']:.2f} ({row['rr_low']:.2f} to {row['rr_high']:.2f}): "
            f"{row['verdict']}."
        )
    for row in result.presence.to_dict("records"):
        if row["measure"] == "presence":
            out.append(
                f"{row['mission']} presence while deployed (Geo-PKO v2.3, PRIO-GRID cell-years "
                f"{row['years']}, lag {row['lag_years']} year): civilian deaths x"
                f"{row['rate_ratio']:.2f} ({row['rr_low']:.2f} to {row['rr_high']:.2f}) where "
                f"troops were; compared with the published finding that {PUBLISHED_SHORT}: "
                f"{row['published_finding']}. An association, not a causal effect."
            )
    return out + result.limits


def write_outputs(store: Store, result: ImpactResult, out: Path) -> list[Path]:
    """Write the tables, the charts and summary.md into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        path = out / f"{name}.csv"
        csvsafe.frame(getattr(result, name)).to_csv(path, index=False)
        written.append(path)
    for name, svg in (
        ("event_study.svg", event_study_svg(result)),
        ("sparklines.svg", sparklines_svg(store, result)),
        ("sites_map.svg", sites_map_svg(store, result)),
    ):
        (out / name).write_text(svg, encoding="utf-8")
        written.append(out / name)
    summary = out / "summary.md"
    summary.write_text(
        f"# Withdrawal impact: {result.spec.country}, outcome {result.spec.outcome}\n\n"
        + "\n".join(f"- {line}" for line in summary_lines(result))
        + "\n",
        encoding="utf-8",
    )
    written.append(summary)
    return written
