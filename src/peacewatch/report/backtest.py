"""Backtest output: the score tables as CSV and the plots (CRPS by horizon and year, PIT) as SVG."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from peacewatch import csvsafe
from peacewatch.report.charts import PALETTE, to_svg


def _by(table: pd.DataFrame, x: str, score: str, title: str) -> str:
    """One line per model: `score` against `x`."""
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    for i, (model, group) in enumerate(table.groupby("model")):
        part = group.sort_values(x)
        ax.plot(part[x], part[score], label=model, color=PALETTE[i % len(PALETTE)], lw=1.4)
    ax.set_title(title, loc="left", fontsize=10)
    ax.set_xlabel(x)
    ax.set_ylabel(score)
    ax.legend(fontsize=7, frameon=False)
    return to_svg(fig)


def pit_plot(pits: pd.DataFrame) -> str:
    """PIT histogram per model (10 bins; a flat 0.1 line means calibrated)."""
    models = sorted(pits["model"].unique())
    fig, axes = plt.subplots(1, len(models), figsize=(2.0 * len(models), 2.4), sharey=True)
    for ax, model in zip(list(getattr(axes, "flat", [axes])), models, strict=True):
        part = pits[pits["model"] == model]
        ax.bar(range(len(part)), part["share"], color=PALETTE[0], width=0.9)
        ax.axhline(0.1, color="#c0504d", lw=0.8, ls="--")
        ax.set_title(model, fontsize=8)
        ax.set_xticks([0, 9], ["0", "1"])
    fig.suptitle("PIT histograms (randomised; dashed: calibrated)", x=0.01, ha="left", fontsize=10)
    return to_svg(fig)


PLOTTED = ("selected", "calibrated", "conflictology_12", "zero")


def _only(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the models drawn: the one chosen by validation and the two references."""
    return table[table["model"].isin(PLOTTED)]


def write(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write every table (forecasts gzipped: one row per model x unit-month) and the plots."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = folder / (f"{name}.csv.gz" if name == "forecasts" else f"{name}.csv")
        csvsafe.frame(frame).to_csv(path, index=False)
        written.append(path)
    unit = tables["by_model"]["unit_type"].iloc[0]
    shown = _only(tables["by_country_year"])
    shown = shown.assign(model=shown["model"] + " " + shown["country"])
    plots = {
        "crps_by_horizon.svg": _by(
            _only(tables["by_horizon"]), "horizon", "crps", f"Mean CRPS by horizon ({unit}-month)"
        ),
        "crps_by_year.svg": _by(shown, "year", "crps", f"Mean CRPS by year and country ({unit})"),
        "pit_histogram.svg": pit_plot(_only(tables["pit_histogram"])),
    }
    for name, svg in plots.items():
        (folder / name).write_text(svg, encoding="utf-8")
        written.append(folder / name)
    return written
