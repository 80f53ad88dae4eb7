"""Sends raw bytes as the request of a unary gRPC method (for malformed-input tests).

Usage: grpc_raw.py ADDR FULL_METHOD HEX_BODY
  e.g. grpc_raw.py 127.0.0.1:50051 parigot.testing.pricing.v0_1_0.Pricing/Quote 0aff

Prints one JSON line: {"ok_hex": HEX_OF_RESPONSE_BYTES}, or {"code": ..., "details": ...}
when the server answers with an error status.
"""

import json
import sys

import grpc


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    addr, method, body = sys.argv[1:]
    with grpc.insecure_channel(addr) as channel:
        try:
            # No serializers: the request and response bytes pass through unchanged.
            response = channel.unary_unary(f"/{method}")(bytes.fromhex(body), timeout=10)
            out = {"ok_hex": response.hex()}
        except grpc.RpcError as error:
            out = {"code": error.code().name, "details": error.details() or ""}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
