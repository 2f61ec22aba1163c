"""The agenda organizers build and everyone reads: rooms, tracks, sessions and their people (agenda), the public
views and feeds (agenda_publish) with their cache (agenda_cache), and the calendar updates sent when an event or a
session changes (calendar_updates). Session sign-ups are in services.registration.

Imports platform, people, registration and messaging.
"""
