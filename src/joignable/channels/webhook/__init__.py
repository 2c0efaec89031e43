# The generic JSON webhook channel: any system (a CRM, a form, a provider without
# an adapter of its own) POSTs a signed JSON contact to /channels/webhook/<name>.
# `codec.py` is the pure part, `transport.py` the HTTP answer, `adapter.py` the
# factory the composition root calls for a `kind: webhook` entry of `channels:`.
