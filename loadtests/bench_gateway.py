"""locust users for make bench: one authenticated read (GET /me, one RPC hop) and one
authenticated write (POST /me/subscriptions, one RPC hop) as fast as they can go."""
import uuid

from locust import FastHttpUser, constant, task

API = "/api/v1"


class _LoggedIn(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def on_start(self):
        r = self.client.post(API + "/auth/wechat-login",
                             json={"code": "dev:bench-%s" % uuid.uuid4().hex}, name="login")
        self.auth = {"Authorization": "Bearer " + r.json()["access_token"]}


class ReadUser(_LoggedIn):
    @task
    def me(self):
        self.client.get(API + "/me", headers=self.auth, name="read GET /me")


class WriteUser(_LoggedIn):
    @task
    def consent(self):
        self.client.post(API + "/me/subscriptions", headers=self.auth, name="write POST /me/subscriptions",
                         json={"results": {"application_status": "accept"}})
