"""Lists the services a server describes through gRPC reflection (v1alpha).

Usage: grpc_list.py ADDR

Prints one JSON line: {"services": [SORTED_NAMES]}, or {"code": ..., "details": ...} when
the server answers with an error status (as the call's status or a reflection error_response).
"""

import json
import sys

import grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    with grpc.insecure_channel(sys.argv[1]) as channel:
        try:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            response = next(stub.ServerReflectionInfo(iter([request]), timeout=10))
            if response.HasField("error_response"):
                error = response.error_response
                code = next(c.name for c in grpc.StatusCode if c.value[0] == error.error_code)
                out = {"code": code, "details": error.error_message}
            else:
                out = {"services": sorted(s.name for s in response.list_services_response.service)}
        except grpc.RpcError as error:
            out = {"code": error.code().name, "details": error.details() or ""}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
