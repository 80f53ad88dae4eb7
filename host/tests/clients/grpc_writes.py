"""Writes through a unary gRPC method from many threads at once, each request different, and
records every write the server acknowledged, until COUNT writes are done or the server goes
away.

Usage: grpc_writes.py ADDR FULL_METHOD REQUEST_TEMPLATE --workers N [--count N] [--acks FILE]
  e.g. grpc_writes.py 127.0.0.1:50051 pkg.Service/Add '{"title": "note {n}"}' --workers 16

Each request is REQUEST_TEMPLATE (protobuf JSON) with `{n}` replaced by a number no other
request of the run has. A write is acknowledged when the call returns OK with an `ok` answer;
its line `N JSON_ANSWER` is appended to FILE at once (one write per line, so a reader sees
whole lines only). Each worker stops at the first failed call. Prints one JSON line:
{"acknowledged": N, "codes": {CODE: N, ...}, "errors": [DISTINCT_ERR_ANSWERS]}.
"""

import argparse
import itertools
import json
import os
import threading

import grpc
from google.protobuf import json_format

from reflected import unary_method


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("addr")
    parser.add_argument("method", help="package.Service/Method")
    parser.add_argument("template", help="the request as protobuf JSON, `{n}` in it numbered")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--count", type=int, help="writes in all (default: until the server goes away)")
    parser.add_argument("--acks", help="the file acknowledged writes are appended to")
    args = parser.parse_args()

    numbers = itertools.count()
    lock = threading.Lock()
    codes, errors, acknowledged = {}, set(), [0]
    acks = os.open(args.acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT) if args.acks else None

    with grpc.insecure_channel(args.addr) as channel:
        call, request_class = unary_method(channel, args.method)

        def next_number():
            with lock:
                n = next(numbers)
                return None if args.count is not None and n >= args.count else n

        def worker():
            while (n := next_number()) is not None:
                request = json_format.Parse(args.template.replace("{n}", str(n)), request_class())
                try:
                    answer = json_format.MessageToDict(call(request, timeout=20), preserving_proto_field_name=True)
                    code = "OK"
                except grpc.RpcError as error:
                    answer, code = None, error.code().name
                with lock:
                    codes[code] = codes.get(code, 0) + 1
                    if answer is not None and "ok" not in answer:
                        errors.add(json.dumps(answer, sort_keys=True))
                    elif answer is not None:
                        acknowledged[0] += 1
                        if acks is not None:
                            os.write(acks, f"{n} {json.dumps(answer['ok'])}\n".encode())
                if code != "OK":
                    return

        threads = [threading.Thread(target=worker) for _ in range(args.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    print(json.dumps({"acknowledged": acknowledged[0], "codes": codes, "errors": sorted(errors)}))


if __name__ == "__main__":
    main()
