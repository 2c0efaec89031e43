"""Flows: IVR and visual IVR flows as versioned data (the IVR issue fills it).

A flow engine here will be pure like the rest of `core/`: it takes a flow
document, the caller's place in it and an input, and returns what to say next
and, at the end, the outcome that enters routing through the admission path.
"""
