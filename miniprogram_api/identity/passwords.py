"""Staff passwords: scrypt (a memory-hard KDF from the standard library), salted, versioned."""
import base64
import hashlib
import hmac
import os

N, R, P = 2 ** 14, 8, 1


def hash_password(password):
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return "scrypt$%d$%d$%d$%s$%s" % (N, R, P, base64.b64encode(salt).decode(),
                                      base64.b64encode(key).decode())


def verify_password(password, stored):
    try:
        _, n, r, p, salt, key = stored.split("$")
        derived = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt),
                                 n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(derived, base64.b64decode(key))
