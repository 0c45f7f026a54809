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
