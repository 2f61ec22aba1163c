"""The delivery log shows an SMTP server's refusal as the server said it, never as a Python bytes literal."""

from events_app.mail.transport import smtp_answer


def test_bytes_answer_is_plain_text():
    assert smtp_answer(550, b"5.1.1 <x@example.org>: Recipient address rejected") == (
        "550 5.1.1 <x@example.org>: Recipient address rejected"
    )


def test_multiline_and_undecodable_answers_read_as_one_line():
    assert smtp_answer(451, b"4.7.1 Try again later\n4.7.1 Greylisted \xff") == (
        "451 4.7.1 Try again later 4.7.1 Greylisted \ufffd"
    )


def test_text_answer_is_kept():
    assert smtp_answer(421, "4.3.2 Service shutting down") == "421 4.3.2 Service shutting down"
