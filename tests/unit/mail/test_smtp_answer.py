"""The delivery log shows an SMTP server's refusal as the server said it, never as a Python bytes literal; the
message goes over DATA as smtplib would write it."""

import smtplib

import pytest

from events_app.mail.transport import data_lines, smtp_answer


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


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"a",
        b"Subject: x\r\n\r\nbody\r\n",
        b"Subject: x\n\nbody\n.hidden\n..two\n",
        b".first\r\nmiddle\r\n.\r\nlast",
        b"mixed\r\nends\nand\rcarriage\r\r\n\n.\r",
        b"\r\n.\r\n",
    ],
)
def test_data_lines_are_what_smtplib_sends(data):
    """CRLF line ends, a leading dot doubled, then the end of data: as smtplib writes a message given as text."""
    expected = smtplib._quote_periods(smtplib._fix_eols(data.decode("latin-1")).encode("latin-1"))
    if not expected.endswith(b"\r\n"):
        expected += b"\r\n"
    assert data_lines(data) == expected + b".\r\n"
