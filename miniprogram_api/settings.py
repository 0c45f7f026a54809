"""What the identity and notifier services share: secrets and the WeChat client, built once per
container from its config."""
from types import SimpleNamespace

from nameko.extensions import DependencyProvider

from miniprogram_api.wechat import WeChat
from services.common.crypto import PersonalData
from services.common.mongo import client_from_config


class Settings(DependencyProvider):
    def setup(self):
        cfg = self.container.config
        self.value = SimpleNamespace(pii=PersonalData.from_config(cfg),
                                     jwt_secret=cfg["JWT_SECRET"],
                                     wechat=WeChat(cfg, client_from_config(cfg, max_pool=10)))

    def get_dependency(self, worker_ctx):
        return self.value
