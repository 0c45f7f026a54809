"""The signing key ring and the disclosure-code pepper, kept in one secret file.

``CREDENTIAL_KEYS_FILE`` (tools/stack.py: .data/credential_keys.json; docker-compose: a mounted
secret) holds ``{"keyring": credential key ring, "pepper": base64url 32 bytes}``. The first
replica to start creates it (mode 0600, created atomically so parallel starts agree on one
ring); every process re-reads it when the file changes, so a rotation needs no restart:

    python -m services.certificate.keys rotate [--file PATH]   # new active key, old verifies
    python -m services.certificate.keys retire KID [--file PATH]
    python -m services.certificate.keys show [--file PATH]     # public keys only
"""
import argparse
import datetime as dt
import json
import os
import secrets
import sys
import threading

from nameko.extensions import DependencyProvider

from services.certificate import credential

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_FILE = os.path.join(ROOT, ".data", "credential_keys.json")


def _new_kid(now):
    return "k%s-%s" % (now.strftime("%Y%m%d"), secrets.token_hex(3))


def _write_new(path, doc, exclusive):
    """Write ``doc`` with mode 0600: exclusive -> fail if the file exists (first start)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = "%s.%d.%s.tmp" % (path, os.getpid(), secrets.token_hex(4))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f)
    try:
        if exclusive:
            os.link(tmp, path)  # atomic "create if missing"
        else:
            os.replace(tmp, path)
            return
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_or_create(path, now=None):
    """The secret document, created on first use."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if not os.path.exists(path):
        doc = {"keyring": credential.new_keyring(_new_kid(now), now),
               "pepper": credential.b64e(os.urandom(32))}
        try:
            _write_new(path, doc, exclusive=True)
        except FileExistsError:
            pass  # another process won the race: use its ring
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def rotate(path, now=None):
    now = now or dt.datetime.now(dt.timezone.utc)
    doc = load_or_create(path, now)
    doc["keyring"] = credential.rotate(doc["keyring"], _new_kid(now), now)
    _write_new(path, doc, exclusive=False)
    return doc


def retire(path, kid):
    doc = load_or_create(path)
    doc["keyring"] = credential.retire(doc["keyring"], kid)
    _write_new(path, doc, exclusive=False)
    return doc


class Secrets:
    """What a worker sees: the key ring, the public keys and the pepper (reloaded on change)."""

    def __init__(self, path):
        self.path, self._lock, self._cache = path, threading.Lock(), (None, None)

    def _doc(self):
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            mtime = None
        with self._lock:
            if mtime is None or self._cache[0] != mtime:
                doc = load_or_create(self.path)
                self._cache = (os.stat(self.path).st_mtime_ns, doc)
            return self._cache[1]

    @property
    def keyring(self):
        return self._doc()["keyring"]

    @property
    def public_keys(self):
        return credential.public_keys(self.keyring)

    @property
    def pepper(self):
        return credential.b64d(self._doc()["pepper"])


class CredentialKeys(DependencyProvider):
    def setup(self):
        path = self.container.config.get("CREDENTIAL_KEYS_FILE") or DEFAULT_FILE
        self.secrets = Secrets(path)
        self.secrets.keyring  # create at first start, fail early if unreadable

    def get_dependency(self, worker_ctx):
        return self.secrets


def main(argv=None):
    parser = argparse.ArgumentParser(description="电子证照签名密钥管理")
    parser.add_argument("command", choices=("rotate", "retire", "show"))
    parser.add_argument("kid", nargs="?")
    parser.add_argument("--file", default=os.environ.get("CREDENTIAL_KEYS_FILE") or DEFAULT_FILE)
    args = parser.parse_args(argv)
    if args.command == "rotate":
        doc = rotate(args.file)
    elif args.command == "retire":
        doc = retire(args.file, args.kid)
    else:
        doc = load_or_create(args.file)
    print(json.dumps(dict(credential.public_keys(doc["keyring"]), active=doc["keyring"]["active"]),
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
