"""On site (issue 17): check-in codes of confirmed registrations (checkin_codes), the check-in desks at the door
and in session rooms with their offline sync (checkin), attendance by organization and country (attendance),
printable tickets and badges (badges).

Sits above registration (it reads registrations and their seats) and below privacy and messaging (erasure revokes
codes; the confirmation email carries the code). Imports registration, people and platform.
"""
