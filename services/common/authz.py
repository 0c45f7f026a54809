"""Who may do what: the checks every service applies to the ``actor`` the gateway passes.

actor = {"kind": "citizen", "account_id", "person_ids": [...]} or
        {"kind": "staff", "staff_id", "roles": [...], "region", "institution_id"?}
"""
from services.common.errors import Forbidden, Unauthorized

READ_ONLY_ROLES = ("auditor",)


def is_staff(actor):
    return bool(actor) and actor.get("kind") == "staff"


def is_citizen(actor):
    return bool(actor) and actor.get("kind") == "citizen"


def require_actor(actor):
    if not actor or actor.get("kind") not in ("citizen", "staff"):
        raise Unauthorized()
    return actor


def require_person(actor, person_id):
    """A citizen acts only for itself and its wards."""
    require_actor(actor)
    if is_citizen(actor) and person_id in actor.get("person_ids", []):
        return actor
    raise Forbidden("您只能办理本人或被监护人的事项", {"person_id": person_id})


def require_staff(actor, roles=None, region=None):
    """Staff with one of ``roles`` (admin always passes) acting in ``region`` (if given)."""
    require_actor(actor)
    if not is_staff(actor):
        raise Forbidden("此操作仅限工作人员")
    held = set(actor.get("roles", []))
    if roles and not (held & set(roles)) and "admin" not in held:
        raise Forbidden("您的岗位不能进行此操作", {"required_roles": list(roles)})
    if region is not None and actor.get("region") != region:
        raise Forbidden("只能办理本辖区的事项", {"region": region})
    return actor


def can_read_as_staff(actor, regions):
    """Staff may read records of their own region (any role, auditors included)."""
    return is_staff(actor) and actor.get("region") in set(r for r in regions if r)


def require_person_or_staff(actor, person_id, regions):
    """Read access to a person's records: the person/guardian, or staff of a related region."""
    require_actor(actor)
    if is_citizen(actor):
        return require_person(actor, person_id)
    if can_read_as_staff(actor, regions):
        return actor
    raise Forbidden("只能查看本辖区的记录")
