"""Demo data for `make run` (development only): staff accounts for every role in every region,
and a few citizens with bound identities. Idempotent: running it again changes nothing."""
import warnings
warnings.filterwarnings("ignore", message=r"(?s).*(Eventlet is deprecated|pkg_resources)")
import eventlet  # noqa: E402
eventlet.monkey_patch()  # noqa: E402  (nameko's standalone proxy needs a patched process)

import os  # noqa: E402
import secrets  # noqa: E402

import requests  # noqa: E402
import yaml  # noqa: E402
from nameko.cli.main import setup_yaml_parser  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from miniprogram_api.identity.schemas import STAFF_ROLES  # noqa: E402
from services.common import idnumber, regions  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DEMO_CITIZENS = [  # (login name, name, first 17 digits of the ID number)
    ("zhangsan", "张三", "50011319800101123"),
    ("lisi", "李四", "33020019750505234"),
    ("wangwu", "王五", "23010019600303345"),
]
DEMO_WARD = ("lisi", "李小花", "33020020210808456", "parent")


def load_config():
    setup_yaml_parser()
    with open(os.path.join(ROOT, "config", "nameko.yml")) as f:
        return yaml.safe_load(f)


def demo_staff(password):
    return [{"username": "%s.%s" % (role, region), "password": password, "roles": [role],
             "region": region, "institution_id": None}
            for region in regions.all_regions() for role in STAFF_ROLES]


def seed_staff(config):
    password = os.environ.get("DEMO_STAFF_PASSWORD", "demo12345")
    with ClusterRpcProxy(config, timeout=60) as rpc:
        return rpc.identity.ensure_staff(demo_staff(password))


def seed_rehab(config):
    """Designated institutions with two weeks of slots per region; institution_staff.<region>
    is bound to the first one. Skipped when the rehab_booking service is not running."""
    from nameko.exceptions import UnknownService
    password = os.environ.get("DEMO_STAFF_PASSWORD", "demo12345")
    with ClusterRpcProxy(config, timeout=120) as rpc:
        for region in regions.all_regions():
            try:
                made = rpc.rehab_booking.seed_demo(region)
            except UnknownService:
                return
            rpc.identity.ensure_staff([{
                "username": "institution_staff.%s" % region, "password": password,
                "roles": ["institution_staff"], "region": region,
                "institution_id": made[0]["institution_id"]}])


def seed_citizens(base_url):
    api = base_url + "/api/v1"
    for login, name, first17 in DEMO_CITIZENS:
        code = "dev:%s#seed-%s" % (login, secrets.token_hex(4))
        tokens = requests.post(api + "/auth/wechat-login", json={"code": code}, timeout=30).json()
        auth = {"Authorization": "Bearer " + tokens["access_token"]}
        if not tokens["account"]["identity_bound"]:
            r = requests.post(api + "/me/identity", headers=auth, timeout=30,
                              json={"name": name, "id_number": idnumber.make(first17)})
            r.raise_for_status()
            auth = {"Authorization": "Bearer " + r.json()["tokens"]["access_token"]}
        if login == DEMO_WARD[0]:
            requests.post(api + "/me/wards", headers=auth, timeout=30, json={
                "name": DEMO_WARD[1], "id_number": idnumber.make(DEMO_WARD[2]),
                "relationship": DEMO_WARD[3]}).raise_for_status()


def print_banner(stack):
    password = os.environ.get("DEMO_STAFF_PASSWORD", "demo12345")
    print("""
  The suite is running.
    gateway       %(url)s      (API under /api/v1, OpenAPI at /api/openapi.json, /healthz)
    WeChat stand-in %(standin)s
    logs          %(logs)s

  Demo staff (dev only): <role>.<region> / %(password)s, e.g. county_dpf.500113
    roles   %(roles)s
    regions %(regions)s
  Demo citizens: POST /api/v1/auth/wechat-login {"code": "dev:<name>#<anything new>"}
    names   %(citizens)s  (lisi is the guardian of 李小花)

  Ctrl-C stops everything this command started.
""" % {"url": stack.url, "standin": stack.standin_url, "logs": stack.log_dir,
       "password": password, "roles": ", ".join(STAFF_ROLES),
       "regions": ", ".join("%s %s" % (c, r["name"]) for c, r in regions.all_regions().items()),
       "citizens": ", ".join(c[0] for c in DEMO_CITIZENS)})


def main():
    config = load_config()
    seed_staff(config)
    seed_rehab(config)
    seed_citizens("http://%s" % config["WEB_SERVER_ADDRESS"])


if __name__ == "__main__":
    main()
