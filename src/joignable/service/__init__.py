"""The imperative shell around the routing core: clock, single-writer runner,
center configuration. Nothing here is created at import time."""
