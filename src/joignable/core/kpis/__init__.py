"""KPIs: the figures of the trade folded from events (docs/kpis.md).

`book.py` is the KPI book (per interval, per queue, channel, site,
outsourcer); `figures.py` the accumulators and their definitions;
`agent_time.py` each agent's time by state; `agent_counts.py` agents by state
per row of the control tower.
"""
