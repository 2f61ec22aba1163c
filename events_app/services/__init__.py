"""Use cases, grouped by capability; each package's docstring says what it holds and what it may import.

Packages import one way, from the bottom up (checked by import-linter's no-cycles contract):
platform <- people <- registration <- privacy, meetings <- messaging <- agenda <- events, exchange.
Import a use case from its module (`from events_app.services.registration import registrations`); packages hold
no re-exports.
"""
