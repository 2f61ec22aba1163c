"""Who acts and who is acted on: organizer accounts, their sessions and roles (accounts), regional offices and
their staff (offices), the audit trail of what accounts did (audit), and people and organizations with the one
person upsert and who may see whom (people).

Imports only platform. Privacy requests (export, erasure, person-wide links) live in services.privacy, because
erasure frees seats and so sits above registration.
"""
