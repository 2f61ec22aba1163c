"""A certificate's verification code never reaches an access log, whatever it looks like."""

from events_app.web.access_log import REDACTED, redact_path


def test_certificate_codes_are_redacted_from_paths():
    assert redact_path("/certificates/IwlhKZYJnYUI5ofP0iR75RioCusU0dTHvANCPOfHxa4") == f"/certificates/{REDACTED}"
    assert redact_path("/api/certificates/short-typo") == f"/api/certificates/{REDACTED}"
    assert redact_path("/api/events/7/certificates/send") == "/api/events/7/certificates/send"
