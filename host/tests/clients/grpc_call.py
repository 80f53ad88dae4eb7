"""Calls one unary gRPC method, its types found through server reflection.

Usage: grpc_call.py ADDR FULL_METHOD REQUEST_JSON [--timeout SECONDS] [--header NAME=VALUE]...
                    [--ca ROOTS.pem] [--metadata]

With --ca the channel is TLS, trusting the certificates in ROOTS.pem. With --metadata the
output has "metadata": the names of the metadata the answer carried (headers and trailers),
sorted.
  e.g. grpc_call.py 127.0.0.1:50051 parigot.testing.pricing.v0_1_0.Pricing/Quote '{"order": {}}'

Prints one JSON line: {"ok": RESPONSE} (proto field names), or {"code": ..., "details": ...}
when the server answers with an error status (reflection included). Exits non-zero only
on a usage error or an unknown method.
"""

import argparse
import json

import grpc
from google.protobuf import json_format

from reflected import unary_call


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("addr")
    parser.add_argument("method", help="package.Service/Method")
    parser.add_argument("request", help="the request message as protobuf JSON")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    parser.add_argument("--header", action="append", default=[], help="request metadata NAME=VALUE")
    parser.add_argument("--ca", help="root certificates (PEM) of a TLS server")
    parser.add_argument("--metadata", action="store_true", help="name the answer's metadata")
    args = parser.parse_args()

    if args.ca:
        with open(args.ca, "rb") as roots:
            credentials = grpc.ssl_channel_credentials(root_certificates=roots.read())
        channel = grpc.secure_channel(args.addr, credentials)
    else:
        channel = grpc.insecure_channel(args.addr)
    with channel:
        try:
            call, request = unary_call(channel, args.method, args.request)
            metadata = [tuple(header.split("=", 1)) for header in args.header]
            response, answer = call.with_call(
                request, timeout=args.timeout, metadata=[(k.lower(), v) for k, v in metadata]
            )
            out = {"ok": json_format.MessageToDict(response, preserving_proto_field_name=True)}
            if args.metadata:
                carried = list(answer.initial_metadata() or ()) + list(answer.trailing_metadata() or ())
                out["metadata"] = sorted({key for key, _ in carried})
        except grpc.RpcError as error:
            out = {"code": error.code().name, "details": error.details() or ""}
            challenge = [v for k, v in (error.initial_metadata() or ()) if k == "www-authenticate"]
            challenge += [v for k, v in (error.trailing_metadata() or ()) if k == "www-authenticate"]
            if challenge:
                out["www-authenticate"] = challenge[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
