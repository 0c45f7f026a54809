"""Logging that never writes personal data: a filter redacts ID numbers, phones and accounts
from every record as a safety net (code should not log them in the first place)."""
import logging

from services.common.crypto import redact


class RedactPersonalData(logging.Filter):
    def filter(self, record):
        msg = record.getMessage()
        clean = redact(msg)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if clean != msg:
            record.msg, record.args = clean, None
        return True


class ExpectedErrorsBrief(logging.Filter):
    """nameko logs every expected business error (409 SLOT_FULL, 422 NOT_ELIGIBLE, ...) with
    its stack trace: one line says all there is, and formatting (then redacting) 190 traces
    in a booking race cost more than answering."""

    def filter(self, record):
        if isinstance(record.msg, str) and record.msg.startswith("(expected)"):
            record.exc_info, record.exc_text = None, None
        return True
