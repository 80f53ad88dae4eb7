"""Asks a server's grpc.health.v1.Health/Check about a service.

Usage: health_check.py ADDR [SERVICE]   (SERVICE defaults to "", the server as a whole)

Prints one JSON line: {"status": "SERVING"} (the ServingStatus name), or
{"code": ..., "details": ...} when the server answers with an error status.
"""

import json
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


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
