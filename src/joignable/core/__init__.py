"""Pure domain: routing engine, lifecycles, KPIs, staffing maths. Standard library only."""
