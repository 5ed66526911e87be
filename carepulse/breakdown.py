"""The drill-down screen's parts: breadcrumb, next split, and the children of a level as a
table and charts; a row, bar or heatmap cell clicked goes one level down."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import polars as pl
import streamlit as st

from carepulse import child_charts, drill, filters, formatting, ui
from carepulse.filters import CONTACTS, STEPS, Filters, Step
from metrics.catalog import HEADLINE
from metrics.kpi import Kpi, Unit

KPIS = ("offered", *HEADLINE)
FORMATS = {
    Unit.PERCENT: "%.1f %%",
    Unit.SECONDS: "compact",
    Unit.POINTS: "%+d",
    Unit.SCORE: "%.2f",
    Unit.COUNT: "localized",
}
CHART_ROWS = 25  # children drawn in the charts: the largest by contacts offered
LABEL_ROOM = 24  # characters of a child's name that leave two charts room side by side
TINT = "background-color: #fbe3d6"  # a light tint of the template's flag colour


def key(steps: Sequence[Step], *parts: str) -> str:
    """A widget key unique to a drill state, so a new level starts with nothing selected."""
    text = repr((tuple(steps), parts))
    return "-".join(parts) + "-" + hashlib.sha1(text.encode()).hexdigest()[:10]


def kpi_columns(kpis: Sequence[Kpi]) -> dict[str, object]:
    """Column settings showing each KPI in its unit, help = its definition."""
    return {
        k.title: st.column_config.NumberColumn(k.title, format=FORMATS[k.unit], help=k.definition)
        for k in kpis
    }


def tinted(frame: pl.DataFrame, judged: Sequence[str], named_in: str) -> object:
    """The table with each figure that `named_in` lists for its row tinted (words and colour)."""

    def tint(row: object) -> list[str]:
        named = set(str(row[named_in]).split(", ")) if row[named_in] else set()
        return [TINT if column in named else "" for column in row.index]

    present = [c for c in judged if c in frame.columns]
    return frame.to_pandas().style.apply(tint, axis=1, subset=[*present, named_in])


def go(steps: Sequence[Step], **options: str | None) -> None:
    """Show another drill state: put it in the URL and run the page again."""
    filters.go(steps, **options)
    st.rerun()


def breadcrumb(steps: Sequence[Step], scope: str) -> None:
    """Centre › Queue: … › Team: …; each crumb goes back to its level."""
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    if row.button(scope, key="crumb-0", type="tertiary", icon=":material/home:"):
        go((), by=steps[0][0] if steps else None)
    for i, step in enumerate(steps, start=1):
        row.markdown(":gray[›]", width="content")
        last = i == len(steps)
        if row.button(
            drill.crumb(step, markdown=True), key=f"crumb-{i}", type="tertiary", disabled=last
        ):
            go(steps[:i], by=steps[i][0])


def split(steps: Sequence[Step]) -> str:
    """The next split: a dimension not yet in the path, or the contacts themselves."""
    choices = filters.next_steps(steps)
    current = filters.split(steps)
    names = {**STEPS, CONTACTS: "Contacts"}
    picked = st.segmented_control(
        "Split by",
        choices,
        default=current,
        required=True,
        format_func=names.get,
        key=key(steps, "split"),
    )
    if picked != current:
        go(steps, by=picked)
    return picked


def parent_name(steps: Sequence[Step], scope: str) -> str:
    return f"All of {drill.crumb(steps[-1])}" if steps else scope


def children(f: Filters, steps: Sequence[Step], dim: str, scope: str) -> None:
    """The children of the level: table, bars and heatmap; a click goes one level down."""
    catalog = ui.catalog()
    kpis = [catalog[k] for k in KPIS]
    parent, kids = ui.kpis(f, keys=KPIS), ui.kpis(f, by=(dim,), keys=KPIS)
    if kids.is_empty():
        ui.stop_with("Nothing to split in this selection.", hint="Go back up or widen the period.")
    agents = dim == "agent_id" or any(c == "agent_id" for c, _ in steps)
    st.caption(_explain(dim, agents))
    table, row = selectable(parent, kids, dim, suppress=agents, key=key(steps, "children", dim))
    if row is not None:
        go([*steps, (dim, table[dim][row])])
    _charts(f, steps, dim, kids, table, catalog)
    with st.expander("Numerators and denominators: how each figure adds up"):
        st.caption("Each row's numerator and denominator; the children add up to the last row.")
        sums = drill.sums(kids, parent, dim, kpis, parent_name(steps, scope))
        shown = sums.rename({"Name": STEPS[dim]})
        # Thousands separated, as everywhere else; times are summed seconds, to the second.
        numbers = {c: st.column_config.NumberColumn(format="%,.0f") for c in shown.columns[1:]}
        st.dataframe(
            shown, hide_index=True, placeholder=formatting.DASH, column_config=numbers,
            key=key(steps, "sums"),
        )  # fmt: skip
        st.caption("Times (ASA, AHT, hold) are totals in seconds.")


def selectable(
    parent: pl.DataFrame, kids: pl.DataFrame, dim: str, *, suppress: bool, key: str
) -> tuple[pl.DataFrame, int | None]:
    """The children table (`drill.table`) shown with one row selectable; the row picked."""
    kpis = [ui.catalog()[k] for k in KPIS]
    table = drill.table(kids, parent, dim, kpis, small_sample=ui.small_sample(), suppress=suppress)
    shown = table.drop(dim).rename({"Name": STEPS[dim]})
    columns = kpi_columns(kpis) | {STEPS[dim]: st.column_config.TextColumn(pinned=True)}
    picked = st.dataframe(
        tinted(shown, [k.title for k in kpis], "Below target"),
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        placeholder=formatting.DASH,
        column_config=columns,
    )
    rows = picked.selection.rows
    return table, (rows[0] if rows else None)


def _explain(dim: str, agents: bool) -> str:
    text = "Click a row, a bar or a heatmap cell to go one level down."
    if dim == "agent_id":
        text += (
            " Service level, abandonment and ASA of an agent count only the contacts the agent "
            "answered; unanswered contacts have no agent and sit in the (no agent) row."
        )
    if agents:
        text += f" Survey KPIs with fewer than {ui.small_sample()} answers are not shown."
    return text


def _charts(
    f: Filters,
    steps: Sequence[Step],
    dim: str,
    kids: pl.DataFrame,
    table: pl.DataFrame,
    catalog: dict[str, Kpi],
) -> None:
    choices = [k for k in HEADLINE if k in set(kids["kpi"])]
    chosen = st.selectbox(
        "Chart", choices, format_func=lambda k: catalog[k].label, key=key(steps, "chart", dim)
    )
    rows = table.select(dim).with_row_index("row").head(CHART_ROWS)
    if table.height > CHART_ROWS:
        st.caption(f"The charts show the {CHART_ROWS} largest of {table.height}.")
    unset = drill.label(dim, None)
    values = kids.filter(pl.col("kpi") == chosen).join(rows, on=dim, nulls_equal=True)
    # Side by side, unless long names (reasons) would squeeze both: then one above the other.
    longest = max((len(drill.label(dim, v)) for v in rows[dim].to_list()), default=0)
    left, right = st.columns(2) if longest <= LABEL_ROOM else (st.container(), st.container())
    height = max(300, 110 + 26 * rows.height)
    figure = child_charts.bars(values, catalog[chosen], dim, unset=unset, height=height)
    clicks = [
        left.plotly_chart(figure, on_select="rerun", selection_mode="points",
                          key=key(steps, "bars", dim, chosen), width="stretch"),
    ]  # fmt: skip
    daily = ui.kpis(f, by=(dim, "day"), keys=(chosen,))
    cells = daily.join(rows, on=dim, nulls_equal=True)
    if cells.height:
        order = child_charts.worst_first(values, catalog[chosen])  # the bars' order
        figure = child_charts.grid(
            cells, catalog[chosen], dim, unset=unset, order=order, height=height
        )
        clicks.append(
            right.plotly_chart(figure, on_select="rerun", selection_mode="points",
                               key=key(steps, "grid", dim, chosen), width="stretch")
        )  # fmt: skip
    for event in clicks:
        points = event.selection.points
        if points and points[0].get("customdata") is not None:
            go([*steps, (dim, table[dim][int(points[0]["customdata"])])])
