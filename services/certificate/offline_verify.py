"""Verify an electronic disability certificate offline (离线核验).

For a verifier without network access (a bus, a scenic-spot gate): it needs the public keys
(``GET /verify/revocations`` comes with them, or the JWKS published by the certificate service)
and a recently fetched revocation list; nothing else.

Usage::

    python -m services.certificate.offline_verify --token TOKEN_OR_@FILE \\
        --revocations revocations.json --keys public_keys.json [--now 2025-01-01T08:00:00+08:00] \\
        [--max-list-age-hours 168]

``--token`` takes the token text (what the QR code holds) or ``@path`` to a file holding it
(``-`` reads standard input). ``--keys`` is a JWKS document (``{"keys": [{"kty": "OKP", "crv":
"Ed25519", "kid", "x"}]}``) or a ``{kid: base64url public key}`` mapping. Prints the verdict as
JSON (status valid | expired | cancelled | replaced | invalid, reason, masked name, category,
grade, valid until) and exits 0 when the status is "valid", 1 otherwise, 2 on bad input files.
"""
import argparse
import datetime as dt
import json
import sys

from services.common.errors import ValidationFailed
from services.certificate.credential import verify_offline


def _read_token(arg, stdin):
    if arg == "-":
        return stdin.read().strip()
    if arg.startswith("@"):
        with open(arg[1:], encoding="utf-8") as f:
            return f.read().strip()
    return arg.strip()


def _read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(argv=None, stdin=None, stdout=None):
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    parser = argparse.ArgumentParser(description="离线核验残疾人电子证照")
    parser.add_argument("--token", required=True, help="token text, @file, or - for stdin")
    parser.add_argument("--revocations", required=True, help="signed revocation list JSON file")
    parser.add_argument("--keys", required=True, help="public keys JSON file (JWKS)")
    parser.add_argument("--now", help="ISO 8601 time with offset (default: this machine's clock)")
    parser.add_argument("--max-list-age-hours", type=int, default=168)
    args = parser.parse_args(argv)
    try:
        token = _read_token(args.token, stdin)
        revocations, keys = _read_json(args.revocations), _read_json(args.keys)
        now = dt.datetime.fromisoformat(args.now) if args.now else dt.datetime.now(dt.timezone.utc)
        if now.tzinfo is None:
            raise ValueError("--now needs a UTC offset")
        verdict = verify_offline(token, revocations, keys, now,
                                 dt.timedelta(hours=args.max_list_age_hours))
    except (OSError, ValueError, ValidationFailed) as e:
        stdout.write(json.dumps({"status": "error", "message": str(e)}, ensure_ascii=False) + "\n")
        return 2
    stdout.write(json.dumps(verdict, ensure_ascii=False, indent=2) + "\n")
    return 0 if verdict["status"] == "valid" else 1


if __name__ == "__main__":
    sys.exit(main())
