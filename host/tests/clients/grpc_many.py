"""Sends the same unary gRPC request many times at once, its types found through server
reflection, and counts the answers by status code.

Usage: grpc_many.py ADDR FULL_METHOD REQUEST_JSON COUNT [--timeout SECONDS]
  e.g. grpc_many.py 127.0.0.1:50051 parigot.testing.top.v0_1_0.Top/Both '{}' 64

All COUNT calls are started before the first answer is awaited (one HTTP/2 connection, many
streams). Prints one JSON line: {"codes": {CODE: N, ...}, "details": [DISTINCT_ERROR_DETAILS]}.
"""

import argparse
import json

import grpc

from reflected import unary_call


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("addr")
    parser.add_argument("method", help="package.Service/Method")
    parser.add_argument("request", help="the request message as protobuf JSON")
    parser.add_argument("count", type=int)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per call (default 20)")
    args = parser.parse_args()

    with grpc.insecure_channel(args.addr) as channel:
        call, request = unary_call(channel, args.method, args.request)
        futures = [call.future(request, timeout=args.timeout) for _ in range(args.count)]
        codes, details = {}, set()
        for future in futures:
            code = future.code()
            codes[code.name] = codes.get(code.name, 0) + 1
            if code != grpc.StatusCode.OK:
                details.add(future.details() or "")
    print(json.dumps({"codes": codes, "details": sorted(details)}))


if __name__ == "__main__":
    main()
