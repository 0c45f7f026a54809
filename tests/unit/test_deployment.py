"""docker-compose.yml, checked with a real Compose parser (Debian's docker-compose): every
service the stack runs has a container from the one image, a healthcheck and a restart policy,
and the secrets are required rather than defaulted."""
import os
import subprocess

import pytest
import yaml

from tools.stack import ROOT, discover_services

SECRETS = {"PII_ENC_KEY": "k1", "PII_HASH_KEY": "k2", "JWT_SECRET": "k3", "WECHAT_APPID": "wx1",
           "WECHAT_SECRET": "s", "RABBITMQ_PASSWORD": "p"}


def compose_config(env):
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(["docker-compose", "-f", os.path.join(ROOT, "docker-compose.yml"),
                           "config"], capture_output=True, text=True, env=dict(clean, **env),
                          cwd=ROOT, timeout=60)


@pytest.fixture(scope="module")
def config():
    out = compose_config(SECRETS)
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def test_every_service_runs_from_the_one_image_with_health_and_restart(config):
    services = config["services"]
    expected = dict(discover_services(), gateway="gateway.service:Gateway")
    expected.update({n: "services.%s.service:%sService" % (n, "".join(p.capitalize() for p in n.split("_")))
                     for n in ("certificate", "subsidy", "rehab_booking", "volunteer")})
    for name, class_path in expected.items():
        svc = services[name]
        assert svc["command"] == [class_path], name
        assert svc["image"] == "dpf-suite:latest"
        assert svc["restart"] == "unless-stopped"
        assert svc["healthcheck"]["test"], name
        assert svc["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
        assert svc["environment"]["DEV_MODE"] == "false"


def test_backing_services_are_mongodb_7_and_rabbitmq_with_management(config):
    assert config["services"]["mongodb"]["image"] == "mongo:7"
    assert config["services"]["rabbitmq"]["image"] == "rabbitmq:3-management"
    for name in ("mongodb", "rabbitmq"):
        assert config["services"][name]["healthcheck"]["test"]


def test_secrets_are_required_not_defaulted():
    out = compose_config({k: v for k, v in SECRETS.items() if k != "JWT_SECRET"})
    assert out.returncode != 0
    assert "JWT_SECRET" in out.stderr
