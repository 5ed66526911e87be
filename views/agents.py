"""Agents: one agent's scorecard against target, team and centre, and the team compared."""

from dataclasses import replace

import streamlit as st

from carepulse import (
    breakdown,
    contact_list,
    filters,
    formatting,
    gate,
    histograms,
    scorecard,
    selection,
    ui,
    widgets,
)

gate.admit("agents")

st.title("Agents")
f = ui.filters()
if not ui.has_data():
    ui.offer_sample()
ui.period_caption(f, ("contacts", "surveys"))
catalog = ui.catalog()
handled = ui.kpis(f, by=("agent_id",), keys=("handled",))
agents = sorted(a for a in scorecard.worked(handled, "agent_id") if a is not None)
if not agents:
    ui.stop_with("No agent handled contacts in this selection.", hint="Widen the period.")
agent = filters.linked_choice("Agent", agents, "agent")
mine = f.restricted("agent_id", [agent])
team = scorecard.worked(ui.kpis(mine, by=("team",), keys=("handled",)), "team")[0]
queues = scorecard.worked(ui.kpis(mine, by=("queue",), keys=("handled",)), "queue")
worked = ", ".join(q or "(not set)" for q in queues)
st.caption(f"Team **{formatting.plain(team)}** · queues worked: {formatting.plain(worked)}")

kpis = [catalog[k] for k in scorecard.KPIS]
peers = ui.kpis(f.restricted("queue", queues), by=("agent_id",), keys=scorecard.KPIS)
filtered = f.where != replace(f, where=()).where  # sidebar filters beyond the user's scope
card = scorecard.table(
    ui.kpis(mine, keys=scorecard.KPIS),
    ui.kpis(f.restricted("team", [team]), keys=scorecard.KPIS),
    ui.kpis(f, keys=scorecard.KPIS),
    peers,
    kpis,
    agent,
    small_sample=ui.small_sample(),
    centre_label="Selection" if filtered else "Centre",
)
status = {"Status": st.column_config.TextColumn(width="medium")}
st.dataframe(card, hide_index=True, height="content", column_config=status)
named = len(set(peers["agent_id"]) - {None})
chosen = f" Selection: all within the sidebar's filters ({selection.describe(f)})."
st.caption(
    f"Peer rank: among the {named} agents who worked the same queues, on their contacts "
    f"there (1 = best). Survey figures below {ui.small_sample()} answers are "
    "not shown. 'vs team' is a significance test at 5 %." + (chosen if filtered else "")
)

left, right = st.columns(2)
with left:
    trend = st.selectbox("Trend", scorecard.KPIS[:7], format_func=lambda k: catalog[k].label)
    widgets.trends(mine, catalog, [trend], per_row=1)
shares = {
    agent: scorecard.shares(ui.distribution(mine, "handle")),
    f"Team {team}": scorecard.shares(ui.distribution(f.restricted("team", [team]), "handle")),
}
figure = histograms.distribution(shares, title="Handle time", axis="handle time (minutes)")
right.plotly_chart(figure)

st.subheader("What customers said about this agent")
said = contact_list.comments(mine)
if said.is_empty():
    st.caption("No survey comments about this agent in this period.")
else:
    st.dataframe(said, hide_index=True, width="stretch")

st.subheader("Team comparison")
teams = scorecard.worked(ui.kpis(f, by=("team",), keys=("handled",)), "team")
names = sorted(t for t in teams if t is not None)
if not names:
    hint = "Map a team column when loading the calls (Data page, or the mapping's `team`)."
    ui.stop_with("No teams to compare: these contacts carry no team.", hint=hint)
chosen = filters.linked_choice("Team", names, "of_team", default=team)
crew = f.restricted("team", [chosen])
kids = ui.kpis(crew, by=("agent_id",), keys=breakdown.KPIS)
st.caption("Click an agent to open their scorecard above.")
table, row = breakdown.selectable(
    ui.kpis(crew, keys=breakdown.KPIS), kids, "agent_id", suppress=True,
    key=breakdown.key((("team", chosen), ("agent_id", agent)), "crew"),
)  # fmt: skip
if row is not None and table["agent_id"][row] not in (None, agent):
    st.query_params["agent"] = table["agent_id"][row]
    st.rerun()
