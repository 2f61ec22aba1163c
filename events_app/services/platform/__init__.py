"""What every capability builds on and that knows no capability: the outbox (messages written in the transaction
of the change, sent by workers), abuse limits in Redis, readiness checks, and the SQL homes of two shared rules
(calendar SEQUENCE growth in calendar_sequence, the time-overlap predicate in time_overlap).

Imports no other services package.
"""
