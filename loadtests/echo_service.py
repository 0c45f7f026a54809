"""The bare nameko RPC ceiling: a service that does nothing but answer (make bench)."""
from nameko.rpc import rpc


class EchoService:
    name = "echo"

    @rpc
    def ping(self, value):
        return value
