"""Taking and giving back places: a delegate's registration and its links (registrations, registration_links),
what organizers do with registrations (registration_admin), seats and the waiting list (seats, waitlist),
custom questions, invitations and access codes, delegations, and the delegate's session sign-ups with the
messages to those holding a session's invite (agenda_bookings, session_mail).

Session sign-ups live here, not in agenda, because freeing a seat drops the delegate's bookings in the same
transaction (seats -> agenda_bookings), while the agenda itself reads registrations.

Imports platform and people.
"""
