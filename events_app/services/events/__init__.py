"""Events themselves: create, change, publish and read events and their categories (events), one event as an
"add to calendar" file (event_calendar), the organizer's dashboard, and demo data (demo).

Imports platform, people, registration, messaging and agenda.
"""
