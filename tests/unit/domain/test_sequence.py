from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.sequence import invite_grows_sequence, next_sequence


def test_next_sequence_grows_by_one_on_a_calendar_change_only():
    assert (next_sequence(3, True), next_sequence(3, False), next_sequence(0, True)) == (4, 3, 1)


def test_invite_grows_sequence_for_every_cancel_and_a_request_after_a_cancel():
    assert invite_grows_sequence(METHOD_CANCEL, False) and invite_grows_sequence(METHOD_CANCEL, True)
    assert invite_grows_sequence(METHOD_REQUEST, True)
    assert not invite_grows_sequence(METHOD_REQUEST, False)
    assert not invite_grows_sequence(None, True)
