"""Planning: Erlang C / Erlang A (`erlang.py`) and staffing per interval (`staffing.py`)."""
