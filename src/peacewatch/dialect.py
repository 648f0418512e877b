"""The store's SQL, written once in DuckDB's dialect, run on PostgreSQL (SQLGlot; ADR 025).

Queries above the store are DuckDB SQL with `?` or `$name` parameters. For PostgreSQL they are
transpiled by SQLGlot, with PostgreSQL's own numbered parameters (`$1`, run by psycopg's raw
cursor, so that a `%` in a literal needs no escaping) and a few rewrites SQLGlot does not make.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.tokens import TokenType

from peacewatch.errors import StoreError

MARK = "pw_param_{}_"
_NAMES = itertools.count(1)


def _numbered(sql: str) -> tuple[str, tuple[str | int, ...]]:
    """`sql` with each parameter replaced by a numbered marker; the parameters' order.

    Positional `?` become 0, 1, ...; a named `$name` is one marker however often it appears.
    """
    out: list[str] = []
    order: list[str | int] = []
    last = 0
    tokens = DuckDB().tokenize(sql)
    skip_next = False
    for i, tok in enumerate(tokens):
        if skip_next:
            skip_next = False
            last = tok.end + 1
            continue
        tail = ""
        if tok.token_type == TokenType.PLACEHOLDER and tok.text == "?":
            key: str | int = sum(isinstance(k, int) for k in order)
        elif tok.token_type == TokenType.QDCOLON:  # `?::TYPE`
            key, tail = sum(isinstance(k, int) for k in order), "::"
        elif tok.token_type == TokenType.PARAMETER and i + 1 < len(tokens):
            name = tokens[i + 1].text
            key = int(name) - 1 if name.isdigit() else name
            skip_next = True
        else:
            continue
        if key not in order:
            order.append(key)
        out.append(sql[last : tok.start])
        out.append(MARK.format(order.index(key) + 1) + tail)
        last = tok.end + 1
    out.append(sql[last:])
    return "".join(out), tuple(order)


def _rewrite(node: exp.Expression) -> exp.Expression:
    """DuckDB functions SQLGlot writes in a form PostgreSQL 15 lacks."""
    if isinstance(node, exp.DateFromParts):
        return exp.Anonymous(
            this="MAKE_DATE",
            expressions=[node.args["year"], node.args["month"], node.args["day"]],
        )
    if (
        isinstance(node, exp.Select)
        and node.args.get("group")
        and node.args["group"].args.get("all")
    ):
        keys = [
            exp.Literal.number(n)
            for n, e in enumerate(node.expressions, start=1)
            if not e.find(exp.AggFunc)
        ]
        node.set("group", exp.Group(expressions=keys) if keys else None)
    if (
        isinstance(node, exp.Subquery)
        and not node.alias
        and isinstance(node.parent, (exp.From, exp.Join))
    ):  # DuckDB names an unnamed subquery itself; PostgreSQL 15 wants a name
        node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_q{next(_NAMES)}")))
        return node
    if isinstance(node, exp.Select) and _orders_by_all(node):  # after GROUP BY ALL
        first = node.args["order"].expressions[0]
        node.set(
            "order",
            exp.Order(
                expressions=[
                    exp.Ordered(this=exp.Literal.number(n), desc=first.args.get("desc"))
                    for n in range(1, len(node.expressions) + 1)
                ]
            ),
        )
        return node
    if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
        # any_value skips NULLs; PostgreSQL 16 has it, 15 not: min() also skips them
        return exp.Min(this=node.this.this)
    if isinstance(node, exp.AnyValue):
        return exp.Min(this=node.this)
    if isinstance(node, exp.TryCast):
        return exp.Cast(this=node.this, to=node.args["to"])
    return node


def _orders_by_all(node: exp.Select) -> bool:
    order = node.args.get("order")
    if order is None or len(order.expressions) != 1:
        return False
    key = order.expressions[0].this
    return isinstance(key, exp.Var) and key.name.upper() == "ALL"


ENGINES = {"postgres": "PostgreSQL", "spark": "Spark"}


@lru_cache(maxsize=4096)
def _transpile(sql: str, dialect: str) -> tuple[str, tuple[str | int, ...]]:
    """`sql` in `dialect`, its parameters as numbered markers; the parameters' order."""
    marked, order = _numbered(sql)
    try:
        tree = sqlglot.parse_one(marked, read="duckdb")
        text = tree.transform(_rewrite).sql(
            dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE
        )
    except sqlglot.errors.SqlglotError as exc:
        raise StoreError(
            f"this query cannot run on {ENGINES[dialect]} ({exc}): {sql[:200]}"
        ) from exc
    return text, order


def _in_order(
    params: Sequence[object] | Mapping[str, object], order: tuple[str | int, ...]
) -> list[object]:
    """The parameter values in the order their markers were numbered."""
    if isinstance(params, Mapping):
        return [params[str(k)] for k in order]
    given = list(params)
    return [given[int(k)] for k in order]


def to_postgres(
    sql: str, params: Sequence[object] | Mapping[str, object] | None
) -> tuple[str, list[object]]:
    """`sql` (DuckDB dialect) as PostgreSQL with `$1..$n`, and the parameters in that order."""
    text, order = _transpile(sql, "postgres")
    for n in range(len(order), 0, -1):
        text = text.replace(MARK.format(n), f"${n}")
    if params is None:
        return text, []
    values = _in_order(params, order)
    arrays = {
        n: _array_type(v) for n, v in enumerate(values, start=1) if isinstance(v, list | tuple)
    }
    if arrays:  # a list parameter is an array of a known type (`unnest($1)` is ambiguous)
        text = re.sub(
            r"\$(\d+)\b",
            lambda m: (
                f"CAST({m.group(0)} AS {arrays[int(m.group(1))]})"
                if int(m.group(1)) in arrays
                else m.group(0)
            ),
            text,
        )
        values = [list(v) if isinstance(v, tuple) else v for v in values]
    return text, values


def _array_type(values: Sequence[object]) -> str:
    """The PostgreSQL array type of a list parameter (text unless every item is a number)."""
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "BIGINT[]"
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "DOUBLE PRECISION[]"
    return "TEXT[]"


def to_spark(sql: str, params: Sequence[object] | Mapping[str, object] | None) -> str:
    """`sql` (DuckDB dialect) as Spark SQL, the parameters written in as quoted literals."""
    text, order = _transpile(sql, "spark")
    if params is None:
        return text
    values = _in_order(params, order)
    for n in range(len(order), 0, -1):
        text = text.replace(MARK.format(n), exp.convert(values[n - 1]).sql(dialect="spark"))
    return text


__all__ = ["to_postgres", "to_spark"]
