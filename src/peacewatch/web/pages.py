"""Server-rendered pages (Jinja2): overview, map, forecast, impact, briefing, incidents, login.

No CDN: Leaflet comes from `npm ci` (served under /vendor/leaflet), the app's own script and
styles from /static; the CSP allows scripts from this origin only, so pages carry no inline
script. Forms carry the session's CSRF token.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from peacewatch import accounts, incidents, indicators, panel
from peacewatch.analysis import alerts
from peacewatch.errors import PeacewatchError
from peacewatch.forecast import backtest, outlook
from peacewatch.report import briefing, charts, i18n
from peacewatch.report import impact as impact_report
from peacewatch.schema import CASUALTY_GROUPS, INCIDENT_CATEGORIES, INCIDENT_STATUSES
from peacewatch.store import Store
from peacewatch.web import lang as page_lang
from peacewatch.web.api_routes import events_changed, impact_result, may_see_licensed
from peacewatch.web.cache import memo
from peacewatch.web.deps import CallerDep, StoreDep
from peacewatch.web.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Caller,
    check_csrf,
    client_address,
    require,
)

router = APIRouter(include_in_schema=False)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def page_context(lang: str, here: str = "/") -> dict[str, Any]:
    """What every page template gets: the language, its `_` and the language links."""
    language = i18n.get(lang)
    return {"lang": language.code, "_": language._, "here": here}


def render(name: str, who: Caller, code: int = 200, **context: Any) -> HTMLResponse:
    """A page (HTTP status `code`) with the caller, CSRF token and language in its context."""
    html = TEMPLATES.get_template(name).render(
        user=who.user, csrf=who.csrf, **page_context(who.lang, who.here), **context
    )
    return HTMLResponse(html, status_code=code, headers={"Content-Language": who.lang})


@router.get("/lang/{code}", response_model=None)
def choose_language(code: str, next: str | None = None) -> Response:
    """Choose the page language (kept in a cookie) and go back to the page."""
    response = RedirectResponse(page_lang.safe_next(next), status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(
            page_lang.COOKIE, code, max_age=365 * 86400, httponly=True, samesite="lax"
        )
    return response


def svg_image(svg: str, alt: str) -> Markup:
    """A chart as an <img> with a data: URI.

    The SVG's own styles stay inside the image, so the page's CSP (style-src 'self') holds and
    nothing in the chart can run.
    """
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img class="chart" alt="{}" src="data:image/svg+xml;base64,{}">').format(
        alt, data
    )


def _countries(store: Any) -> list[str]:
    rows = store.rows(
        "SELECT DISTINCT country_iso3 FROM events WHERE country_iso3 IS NOT NULL ORDER BY 1"
    )
    return [r[0] for r in rows]


def _latest(frame: pd.DataFrame, most: int = 12) -> pd.DataFrame:
    """The rows a card shows: every row of the latest year (e.g. all regions), else the last 6."""
    if "year" in frame.columns and frame["year"].notna().any():
        latest = frame[frame["year"] == frame["year"].max()]
        if len(latest) > 1:
            return latest.head(most)
    return frame.tail(6)


def known_words(lang: i18n.Lang, text: str) -> str:
    """`text` in the page's language where the catalog has it, else as written.

    Indicator descriptions and data columns are run-time text: a page shows the English
    rather than asking the catalog for a message it does not hold.
    """
    return lang._(text) if lang.code == "en" or text in lang.known else text


@router.get("/", response_class=HTMLResponse)
def home(store: StoreDep, who: CallerDep) -> HTMLResponse:
    """The countries in the store, with links to their pages."""
    return render("home.html.j2", who, countries=_countries(store))


@router.get("/country/{iso3}", response_class=HTMLResponse)
def overview(request: Request, store: StoreDep, who: CallerDep, iso3: str) -> HTMLResponse:
    """Indicator cards (latest values with sources) and the yearly trend of each."""
    iso3 = iso3.upper()
    if iso3 not in _countries(store):
        return render("error.html.j2", who, 404, message=f"no events for {iso3!r} in the store")
    first, last = panel.default_range(store, iso3)
    results = indicators.compute_all(store, iso3, first, last, may_see_licensed(request, who))
    lang = i18n.get(who.lang)
    cards = []
    for name, result in results.items():
        frame = result.frame
        numeric = [c for c in frame.columns if frame[c].dtype.kind in "iuf" and c != "year"]
        trend = None
        if "year" in frame.columns and numeric and frame["year"].nunique() > 1:
            yearly = frame.groupby("year", as_index=False)[numeric[:3]].sum()
            names = {c: known_words(lang, c.replace("_", " ")) for c in numeric[:3]}
            svg = charts.lines(yearly, "year", names, "", size=(5.0, 2.4))
            trend = svg_image(svg, f"{result.indicator.title} by year")
        cards.append(
            {
                "name": name,
                "title": known_words(lang, result.indicator.title),
                "dimension": known_words(lang, result.indicator.dimension.replace("_", " ")),
                "description": known_words(lang, result.indicator.description),
                "rows": _latest(frame).astype(object).where(frame.notna(), None).to_dict("records"),
                "columns": list(frame.columns),
                "headers": [known_words(lang, str(c).replace("_", " ")) for c in frame.columns],
                "numeric": numeric,
                "provenance": result.provenance,
                "withheld": result.withheld,
                "trend": trend,
            }
        )

    def current_alerts() -> dict[str, Any]:
        try:
            found = alerts.current(store, iso3, _=i18n.get(who.lang)._)
            return {"found": found.to_dict("records"), "missing": None}
        except PeacewatchError as exc:
            return {"found": [], "missing": str(exc)}

    warnings = memo(request.app.state, ("alerts-overview", iso3, who.lang), current_alerts)
    return render("overview.html.j2", who, iso3=iso3, cards=cards, alerts=warnings)


@router.get("/map", response_class=HTMLResponse)
def map_page(store: StoreDep, who: CallerDep, country: str | None = None) -> HTMLResponse:
    """Admin-1 boundaries and events from the app's GeoJSON, with a time slider and filters.

    Without `?country=`, the country with the most events in the store.
    """
    known = _countries(store)
    if country is None:
        row = store.row(
            "SELECT country_iso3 FROM events WHERE country_iso3 IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
        country = row[0] if row else ""
    return render("map.html.j2", who, country=country.upper(), countries=known)


@router.get("/forecast/{iso3}", response_class=HTMLResponse)
def forecast_page(request: Request, store: StoreDep, who: CallerDep, iso3: str) -> HTMLResponse:
    """P(>= 25 deaths) by region for the next 3 months (table by app.js) and fan charts."""
    iso3 = iso3.upper()
    if iso3 not in _countries(store):
        return render("error.html.j2", who, 404, message=f"no events for {iso3!r} in the store")
    lang = i18n.get(who.lang)
    svg = memo(request.app.state, ("fans", iso3, lang.code), lambda: _fan_charts(store, iso3, lang))
    fans = svg_image(svg, "Fan charts of deaths per month by region")
    ahead = outlook.cached_forecast(store, iso3, "admin1", 3)
    language = i18n.get(who.lang)
    span = {
        "data_end": language.month(ahead["origin"].iloc[0]),
        "first": language.month(ahead["month"].min()),
        "last": language.month(ahead["month"].max()),
    }
    return render("forecast.html.j2", who, iso3=iso3, fans=fans, span=span)


def _fan_charts(store: Any, iso3: str, lang: i18n.Lang) -> str:
    """Regional fan charts for the next 3 months, regions by their highest P(>= 25) first."""
    ahead = outlook.cached_forecast(store, iso3, "admin1", 3)
    history = backtest.unit_series(store, [iso3], "sb", "admin1")
    history = history[history["month"] > ahead["origin"].iloc[0] - pd.DateOffset(months=36)]
    risk = ahead.groupby(["unit", "unit_name"])["p_ge_25"].max().sort_values(ascending=False)
    panels = [
        (
            str(name),
            history.loc[history["unit"] == unit, "month"],
            history.loc[history["unit"] == unit, "y"],
            ahead[ahead["unit"] == unit],
        )
        for unit, name in risk.index
    ]
    with i18n.using(lang):
        return charts.fans(panels, lang._("Deaths per month by region (UCDP GED, sb) and forecast"))


@router.get("/impact/{iso3}", response_class=HTMLResponse)
def impact_page(request: Request, store: StoreDep, who: CallerDep, iso3: str) -> HTMLResponse:
    """The camp-handover event study: per site and pooled, with its limits."""
    try:
        result = impact_result(request, store, iso3)
    except PeacewatchError as exc:
        return render("error.html.j2", who, 404, message=str(exc))
    tables = {
        "Pooled effect": result.pooled,
        "Per site": result.per_site,
        "Placebo": result.placebo,
        "Sites": result.sites,
    }

    def chart() -> str:
        with i18n.using(i18n.get(who.lang)):
            return impact_report.event_study_svg(result)

    svg = memo(request.app.state, ("event-study", iso3.upper(), who.lang), chart)
    return render(
        "impact.html.j2",
        who,
        iso3=iso3.upper(),
        tables={k: _html_table(v) for k, v in tables.items()},
        limits=result.limits,
        data_end=result.data_end,
        chart=svg_image(svg, "Event study: rate ratios by month from handover"),
    )


def _html_table(frame: Any) -> dict[str, Any]:
    """Rows rounded to 3 decimals, and readable headers (`rate_ratio` -> `rate ratio`)."""
    numbers = frame.select_dtypes("number").columns
    clean = frame.round(dict.fromkeys(numbers, 3)).astype(object).where(frame.notna(), "")
    labels = {c: str(c).replace("_", " ") for c in clean.columns}
    return {
        "columns": list(labels.values()),
        "rows": clean.rename(columns=labels).to_dict("records"),
    }


@router.get("/briefing/{iso3}", response_class=HTMLResponse)
def briefing_page(
    request: Request, store: StoreDep, who: CallerDep, iso3: str, lang: str = "en"
) -> HTMLResponse:
    """The country briefing (the same self-contained page `peacewatch brief` writes).

    `?lang=fr`: in French (the languages of `peacewatch brief --lang`).
    """
    granted = may_see_licensed(request, who)
    try:
        html = memo(
            request.app.state,
            ("briefing", iso3.upper(), granted, lang),
            lambda: briefing.render_html(
                briefing.build_context(store, iso3, licensed=granted, lang=lang)
            ),
        )
    except PeacewatchError as exc:
        return render("error.html.j2", who, 404, message=str(exc))
    # The briefing carries its own CSP (no script at all; its styles are inline).
    return HTMLResponse(
        html,
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:; frame-ancestors 'none'"
        },
    )


def _login_page(
    request: Request, who: Caller, code: int = 200, error: str | None = None
) -> HTMLResponse:
    """The sign-in form with a fresh login CSRF token (cookie and hidden field must match)."""
    token = secrets.token_urlsafe(32)
    response = render("login.html.j2", who, code, error=error, login_csrf=token)
    _cookie(request, response, LOGIN_CSRF_COOKIE, token, 3600)
    return response


def _cookie(request: Request, response: Response, name: str, value: str, seconds: int) -> None:
    """An HttpOnly, SameSite=Strict cookie (Secure over https)."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=seconds,
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, who: CallerDep) -> HTMLResponse:
    """The sign-in form."""
    return _login_page(request, who)


@router.post("/login", response_model=None)
def login(
    request: Request,
    store: StoreDep,
    who: CallerDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Sign in: a session cookie (HttpOnly, SameSite=Strict).

    The form must carry the token its page set (login CSRF). Failed attempts are limited per
    account and per client address (the TCP peer; X-Forwarded-For only from trusted proxies).
    """
    sent = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not sent or not hmac.compare_digest(sent, csrf_token):
        return _login_page(
            request,
            who,
            403,
            "the sign-in form expired or did not come from this site: sign in again",
        )
    limiter = request.app.state.limiter
    client = client_address(request, request.app.state.settings.trusted_proxies)
    if limiter.blocked(username, client):
        return _login_page(request, who, 429, "too many failed attempts; wait 15 minutes")
    user = accounts.authenticate(store, username, password)
    if user is None:
        limiter.failed(username, client)
        return _login_page(request, who, 401, "wrong username or password")
    limiter.succeeded(username, client)
    secret, _csrf = accounts.start_session(store, user)
    response = RedirectResponse("/incidents", status_code=303)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    _cookie(request, response, SESSION_COOKIE, secret, accounts.SESSION_HOURS * 3600)
    return response


@router.post("/logout", response_model=None)
def logout(
    request: Request,
    store: StoreDep,
    who: CallerDep,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Sign out (forget the session)."""
    check_csrf(request, who, csrf_token)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        accounts.end_session(store, secret)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/incidents", response_class=HTMLResponse)
def incident_list(
    store: StoreDep,
    who: CallerDep,
    status: str | None = None,
    category: str | None = None,
    q: str | None = None,
) -> HTMLResponse:
    """The incidents the caller may see, searched and filtered.

    Text in place or description, status and category; the choices stay in the URL.
    """
    status = status if status in INCIDENT_STATUSES else None
    category = category if category in INCIDENT_CATEGORIES else None
    text = (q or "").strip()[:200] or None
    total, rows = incidents.search(
        store, who.user, status=status, category=category, text=text, limit=200
    )
    return render(
        "incidents.html.j2",
        who,
        incidents=rows,
        total=total,
        status=status,
        category=category,
        q=text or "",
        statuses=INCIDENT_STATUSES,
        categories=INCIDENT_CATEGORIES,
    )


def _incident_form(store: Store, who: Caller, code: int = 200, **context: Any) -> HTMLResponse:
    """The incident form with its place list (camps and admin-1 regions of the store)."""
    camps = store.rows(
        "SELECT DISTINCT name FROM camps WHERE latitude IS NOT NULL ORDER BY name",
        own_cursor=True,
    )
    regions = store.admin1_polygons()
    places = [r[0] for r in camps] + sorted(set(regions["name"].dropna()))
    row = store.row(
        "SELECT country_iso3 FROM events WHERE country_iso3 IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        own_cursor=True,
    )
    return render(
        "incident_form.html.j2",
        who,
        code,
        categories=INCIDENT_CATEGORIES,
        groups=CASUALTY_GROUPS,
        places=places,
        country=row[0] if row else "",
        **context,
    )


@router.get("/incidents/new", response_class=HTMLResponse)
def incident_form(store: StoreDep, who: CallerDep) -> HTMLResponse:
    """The form to file an incident (reporters and above)."""
    require(who, "reporter")
    return _incident_form(store, who)


@router.post("/incidents/new", response_model=None)
async def incident_create(request: Request, store: StoreDep, who: CallerDep) -> Response:
    """File the incident from the form; errors come back on the form, nothing saved."""
    form = dict(await request.form())
    check_csrf(request, who, str(form.pop("csrf_token", "")))
    user = require(who, "reporter")
    values = {k: str(v) for k, v in form.items() if k in incidents.FIELDS}
    try:
        record = incidents.create(store, user, values)
    except PeacewatchError as exc:
        return _incident_form(store, who, 422, error=str(exc), values=values)
    return RedirectResponse(f"/incidents/{record['incident_id']}", status_code=303)


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(store: StoreDep, who: CallerDep, incident_id: int) -> HTMLResponse:
    """One incident with the actions the caller may take, and the audit trail if cleared."""
    record = incidents.get(store, who.user, incident_id)
    trail = incidents.history(store, who.user, incident_id) if who.user and who.user.cleared else []
    actions = []
    if who.user:
        for action, (sources, _target, role) in incidents.TRANSITIONS.items():
            own = record.get("reporter") == who.user.username
            allowed = record["status"] in sources and who.user.at_least(role)
            if allowed and (action != "submit" or own or who.user.cleared):
                actions.append(action)
    return render("incident.html.j2", who, incident=record, actions=actions, trail=trail)


@router.post("/incidents/{incident_id}/{action}", response_model=None)
def incident_action(
    request: Request,
    store: StoreDep,
    who: CallerDep,
    incident_id: int,
    action: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Submit, verify, publish or reject from the incident page."""
    check_csrf(request, who, csrf_token)
    user = require(who, "reporter")
    record = incidents.transition(store, user, incident_id, action)
    if record["status"] == "published":
        events_changed(request)
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)
