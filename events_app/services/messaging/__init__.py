"""Telling people: turning an outbox row into the email that goes out (notifications, with account_mail for
account messages; meeting rows are loaded by meetings.meeting_mail; each loader hands plain data to the pure
composers of events_app.mail.compose), announcements to an audience, reminders
before an event, and the delivery log organizers read (deliveries).

Imports platform, people, registration, privacy and meetings.
"""
