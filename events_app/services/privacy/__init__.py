"""A person's rights over their data: export, erasure and retention (privacy), and the short-lived person-wide
links mailed to the address on file that reach them (person_access).

Apart from services.people because erasure cancels registrations and frees seats: it imports registration, which
itself imports people. Imports platform, people and registration.
"""
