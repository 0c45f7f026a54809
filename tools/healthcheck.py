"""Container healthcheck for a nameko service: calls its ``health`` RPC (which pings its
database) over the broker. Exit 0 when it answers in time, 1 otherwise.

    python -m tools.healthcheck certificate
"""
import eventlet
eventlet.monkey_patch()  # noqa: E402

import os  # noqa: E402
import sys  # noqa: E402

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402


def main(service):
    config = {"AMQP_URI": os.environ["AMQP_URI"]}
    try:
        with ClusterRpcProxy(config, timeout=5) as rpc:
            getattr(rpc, service).health()
    except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy"
        print("%s unhealthy: %s" % (service, type(exc).__name__))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
