"""Opaque ids: a short prefix that names the kind (and so the owning service) + random hex."""
import uuid


def new_id(prefix):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:20])


def prefix_of(an_id):
    return (an_id or "").split("_", 1)[0]
