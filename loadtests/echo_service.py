"""The bare nameko RPC ceiling: a service that does nothing but answer (make bench)."""
from services.common.rpc import nameko_rpc as rpc


class EchoService:
    name = "echo"

    @rpc
    def ping(self, value):
        return value
