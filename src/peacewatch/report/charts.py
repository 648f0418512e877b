"""Charts and maps as inline SVG (matplotlib, Agg): no script, no network, no external file."""

from __future__ import annotations

import io
from collections.abc import Iterable

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from babel.numbers import format_decimal
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from peacewatch.report.i18n import current

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.fonttype": "none",
        "svg.hashsalt": "peacewatch",
    }
)
PALETTE = [
    "#1f4e79",
    "#c0504d",
    "#9bbb59",
    "#8064a2",
    "#f79646",
    "#4bacc6",
    "#7f7f7f",
    "#2c7c3f",
    "#b28e00",
    "#d46fb0",
]


RASTER_ABOVE = 150  # polygons in a map beyond which the fills are drawn as an image


def _plain_tick(value: float, _pos: object = None) -> str:
    """Tick labels as readers write numbers: 1,200,000 (not 1.2 x 1e6), 0.25, 40 (or 1 200 000)."""
    return format_decimal(value, "#,##0.###", locale=current().code)


def _month_tick(value: float, _pos: object = None) -> str:
    """A date tick as a short month in the report's language (janv. 2021)."""
    return current().short_month(mdates.num2date(value))


def to_svg(fig: Figure) -> str:
    """The figure as an SVG string (XML header dropped, so it can sit inside HTML).

    Linear value axes get plain tick labels (no '1e6' offset).
    """
    for ax in fig.axes:
        kind = type(ax.yaxis.get_major_formatter()).__name__
        if ax.get_yscale() == "linear" and kind not in ("NullFormatter", "FixedFormatter"):
            ax.yaxis.set_major_formatter(FuncFormatter(_plain_tick))
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None}, dpi=150)
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _marks(ax: plt.Axes, marks: Iterable[tuple[float, str]]) -> None:
    for x, label in marks:
        ax.axvline(x, color="#555", lw=0.8, ls="--")
        ax.text(
            x,
            ax.get_ylim()[1],
            f" {label}",
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
            color="#333",
        )


def bars_with_range(
    frame: pd.DataFrame,
    x: str,
    y: str,
    low: str,
    high: str,
    title: str,
    marks: Iterable[tuple[float, str]] = (),
) -> str:
    """Bars of `y` with low-high whiskers, and labelled vertical marks (e.g. coups)."""
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    err = [(frame[y] - frame[low]).clip(lower=0), (frame[high] - frame[y]).clip(lower=0)]
    ax.bar(
        frame[x],
        frame[y],
        color=PALETTE[0],
        yerr=err,
        capsize=2,
        error_kw={"elinewidth": 0.7, "ecolor": "#666"},
    )
    ax.set_title(title, loc="left", fontsize=10)
    ax.set_xticks(list(frame[x]))
    ax.tick_params(axis="x", rotation=45)
    _marks(ax, marks)
    return to_svg(fig)


def stacked(frame: pd.DataFrame, index: str, columns: str, values: str, title: str) -> str:
    """Stacked bars of `values` by `columns` per `index`."""
    wide = frame.pivot_table(
        index=index, columns=columns, values=values, aggfunc="sum", fill_value=0
    )
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    bottom = None
    for i, col in enumerate(wide.columns):
        ax.bar(
            wide.index,
            wide[col],
            bottom=bottom,
            label=current()._(str(col).replace("_", " ")),  # a category code as words
            color=PALETTE[i % len(PALETTE)],
        )
        bottom = wide[col] if bottom is None else bottom + wide[col]
    ax.set_title(title, loc="left", fontsize=10)
    ax.set_xticks(list(wide.index))
    ax.tick_params(axis="x", rotation=45)
    ax.legend(fontsize=7, frameon=False, ncol=3)
    return to_svg(fig)


def lines(
    frame: pd.DataFrame,
    x: str,
    series: dict[str, str],
    title: str,
    marks: Iterable[tuple[object, str]] = (),
    size: tuple[float, float] = (7.5, 3.0),
) -> str:
    """One line per column in `series` (column -> label).

    `size` in inches: text stays 7-10 pt, so a smaller figure shown in a small box reads larger.
    """
    fig, ax = plt.subplots(figsize=size)
    for i, (col, label) in enumerate(series.items()):
        ax.plot(frame[x], frame[col], label=label, color=PALETTE[i % len(PALETTE)], lw=1.4)
    ax.set_title(title, loc="left", fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    _marks(ax, marks)  # type: ignore[arg-type]
    return to_svg(fig)


def choropleth(
    frame: gpd.GeoDataFrame,
    column: str,
    title: str,
    label_column: str | None = None,
    outline: gpd.GeoDataFrame | None = None,
    cmap: str = "OrRd",
) -> str:
    """A map of polygons coloured by `column` (drawn from the store's own geometries).

    Outlines are simplified to a tolerance under a pixel of the drawn map (1/1000 of its extent):
    the same picture, a fraction of the SVG the PDF renderer has to lay out.
    """
    frame, outline = _simplified(frame), _simplified(outline) if outline is not None else None
    fig, ax = plt.subplots(figsize=(6.5, 5.0))
    frame.plot(
        column=column,
        cmap=cmap,
        linewidth=0.3,
        edgecolor="#777",
        legend=True,
        ax=ax,
        legend_kwds={"shrink": 0.6, "label": current()._(column.replace("_", " "))},
    )
    if len(frame) > RASTER_ABOVE:
        # Hundreds of grid cells: the filled cells as one embedded image (outlines, labels and
        # legend stay vector), so a PDF renderer lays out one image, not hundreds of paths.
        for collection in ax.collections[:1]:
            collection.set_rasterized(True)
    if outline is not None:
        outline.boundary.plot(ax=ax, color="#222", linewidth=0.8)
    if label_column:
        for _, row in frame.iterrows():
            point = row.geometry.representative_point()
            ax.annotate(
                str(row[label_column]), (point.x, point.y), fontsize=6.5, ha="center", color="#111"
            )
    ax.set_title(title, loc="left", fontsize=10)
    ax.set_axis_off()
    return to_svg(fig)


def _simplified(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.empty:
        return frame
    x0, y0, x1, y1 = frame.total_bounds
    tolerance = max(x1 - x0, y1 - y0) / 1000
    return frame.set_geometry(frame.geometry.simplify(tolerance, preserve_topology=True))


def fan(
    hist_x: pd.Series,
    hist_y: pd.Series,
    x: pd.Series,
    q05: pd.Series,
    q25: pd.Series,
    median: pd.Series,
    q75: pd.Series,
    q95: pd.Series,
    title: str,
) -> str:
    """History as a line, forecast as 50% and 90% bands around the median."""
    fig, ax = plt.subplots(figsize=(7.5, 3.0))
    lang = current()
    ax.plot(hist_x, hist_y, color=PALETTE[0], lw=1.3, label=lang._("observed"))
    ax.fill_between(x, q05, q95, color=PALETTE[1], alpha=0.18, label=lang._("90% interval"))
    ax.fill_between(x, q25, q75, color=PALETTE[1], alpha=0.35, label=lang._("50% interval"))
    ax.plot(x, median, color=PALETTE[1], lw=1.2, label=lang._("median forecast"))
    tidy_counts_axis(ax)
    ax.set_title(title, loc="left", fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    return to_svg(fig)


def tidy_counts_axis(ax: plt.Axes, dates: bool = True) -> None:
    """A count axis from 0 (an empty panel gets 0..1, not -0.05..0.05) and a few date ticks."""
    _low, high = ax.get_ylim()
    ax.set_ylim(0, max(high, 1.0))
    if dates:
        locator = mdates.AutoDateLocator(minticks=2, maxticks=4)
        ax.xaxis.set_major_locator(locator)
        if current().code == "en":
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        else:
            ax.xaxis.set_major_formatter(FuncFormatter(_month_tick))


def fans(panels: list[tuple[str, pd.Series, pd.Series, pd.DataFrame]], title: str) -> str:
    """Small multiples of fan charts.

    Each panel: (title, history months, history values, forecast frame with month, q05, q25,
    median, q75, q95).
    """
    cols = 3
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(8.5, 2.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, (name, hist_x, hist_y, ahead) in zip(axes.ravel(), panels, strict=False):
        ax.set_axis_on()
        ax.plot(hist_x, hist_y, color=PALETTE[0], lw=1)
        ax.fill_between(ahead["month"], ahead["q05"], ahead["q95"], color=PALETTE[1], alpha=0.18)
        ax.fill_between(ahead["month"], ahead["q25"], ahead["q75"], color=PALETTE[1], alpha=0.35)
        ax.plot(ahead["month"], ahead["median"], color=PALETTE[1], lw=1)
        ax.set_title(name, fontsize=9, loc="left")
        ax.tick_params(labelsize=7.5)
        tidy_counts_axis(ax)
    fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return to_svg(fig)
