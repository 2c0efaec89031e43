"""HTTP routers; every module here that defines `router` is included by
`joignable.web.app.create_app` (see its docstring for the hooks)."""
