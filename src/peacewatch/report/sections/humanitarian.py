"""The humanitarian situation: displacement, refugees and people in need, by year."""

from __future__ import annotations

from peacewatch.report import charts
from peacewatch.report.blocks import Brief, Section, indicator_label

KEY, TITLE = "humanitarian", "The humanitarian situation"


def build(brief: Brief) -> Section:
    """Each humanitarian figure's first and latest value, the chart and the table."""
    lang = brief.lang
    out = brief.section(KEY, lang._(TITLE))
    hum = brief.results["humanitarian.figures"]
    if hum.frame.empty:
        out.say(
            lang._(
                "No humanitarian figures for {country} are loaded (displacement, refugees, "
                "people in need): load them with `peacewatch load humanitarian`.",
                country=brief.name,
            )
        )
        return out
    for ind, group in hum.frame.groupby("indicator"):
        part = group.sort_values("year")
        name = lang._(indicator_label(str(ind)) or str(ind))
        values, years = list(part["value"]), [int(y) for y in part["year"]]
        if len(part) == 1:
            out.say(
                lang._(
                    "{label}: {value} in {year} (the one figure loaded).",
                    label=name,
                    value=lang.n(values[0]),
                    year=years[0],
                )
            )
        else:
            out.say(
                lang._(
                    "{label}: {first} in {first_year}, {last} in {last_year}.",
                    label=name,
                    first=lang.n(values[0]),
                    first_year=years[0],
                    last=lang.n(values[-1]),
                    last_year=years[-1],
                )
            )
    wide = hum.frame.pivot_table(
        index="year", columns="indicator", values="value", aggfunc="last"
    ).reset_index()
    out.figure(
        lang._("Displacement and people in need"),
        svg=charts.lines(
            wide,
            "year",
            {c: lang._(indicator_label(c) or c) for c in wide.columns if c != "year"},
            lang._("Humanitarian figures (latest per year)"),
        ),
        table=hum.frame,
        caption=brief.caption(hum),
        indicators=[hum.indicator.name],
    )
    return out
