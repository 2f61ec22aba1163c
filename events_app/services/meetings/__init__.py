"""Pilot projects and their meeting series: projects and cohorts (projects), series and occurrences (meetings),
their calendar objects and feeds (meeting_calendar, meeting_feeds), the rendering of meeting outbox rows
(meeting_mail), answers (meeting_rsvp), and attendance, minutes and action items (meeting_records).

Imports platform, people and registration.
"""
