"""Asks a server's grpc.health.v1.Health/Check about a service.

Usage: grpc_health.py ADDR [SERVICE]   (SERVICE defaults to "", the server as a whole)

Prints one JSON line: {"status": "SERVING"} (the ServingStatus name), or
{"code": ..., "details": ...} when the server answers with an error status.
"""

import json
import os
import sys

# Python puts this file's folder first on sys.path, where this file would hide the grpc_health package.
sys.path = [entry for entry in sys.path if entry != os.path.dirname(os.path.abspath(__file__))]

import grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    addr = sys.argv[1]
    service = sys.argv[2] if len(sys.argv) == 3 else ""
    with grpc.insecure_channel(addr) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=10
            )
            out = {"status": health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)}
        except grpc.RpcError as error:
            out = {"code": error.code().name, "details": error.details() or ""}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
