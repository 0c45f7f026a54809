"""The bare nameko RPC ceiling: services that do nothing but answer (make bench). ``echo``
publishes as the suite's services do (services.common.rpc.RPC_PUBLISH: transient, no
publisher confirms); ``echo_default`` with nameko's defaults (persistent, confirms)."""
import nameko.rpc

from services.common.rpc import nameko_rpc as rpc


class EchoService:
    name = "echo"

    @rpc
    def ping(self, value):
        return value


class NamekoDefaultEchoService:
    name = "echo_default"

    @nameko.rpc.rpc
    def ping(self, value):
        return value
