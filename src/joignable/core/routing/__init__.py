"""Routing: the engine that decides who answers (ACD).

`engine.py` handles commands and returns events; `lifecycle.py` holds every
rule of a contact's and an agent's lifecycle (the transition tables);
`state.py` folds events into state and its timers; `runtime.py` is that
state's shape; `matching.py` picks the agent or the contact; `throttle.py`
decides the share of arrivals a migration throttle sends to a site.
"""
