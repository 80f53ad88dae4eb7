"""An OTLP receiver built from the official definitions (PyPI opentelemetry-proto, grpcio):
the collector's TraceService and LogsService over gRPC, and POST /v1/traces and /v1/logs
with protobuf bodies over HTTP.

Usage: otlp_receiver.py

Prints `ready GRPC_PORT HTTP_PORT` (both on 127.0.0.1), then one JSON line per span or log
record received:
  {"signal": "span", "via": "grpc"|"http", "service": ..., "namespace": ..., "trace": hex,
   "span": hex, "parent": hex or "", "name": ..., "kind": "SPAN_KIND_SERVER"...,
   "status": "STATUS_CODE_OK"..., "message": ..., "attributes": {...}}
  {"signal": "log", "via": ..., "service": ..., "trace": hex, "span": hex,
   "severity": "INFO"..., "body": ..., "attributes": {...}}
Runs until its standard input closes.
"""

import json
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1 import trace_pb2

PRINT = threading.Lock()


def emit(record):
    with PRINT:
        print(json.dumps(record, sort_keys=True), flush=True)


def value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(key_values):
    return {kv.key: value(kv.value) for kv in key_values}


def resource_of(resource):
    found = attributes(resource.attributes)
    return found.get("service.name", ""), found.get("service.namespace", "")


def take_spans(request, via):
    for resource_spans in request.resource_spans:
        service, namespace = resource_of(resource_spans.resource)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                emit({
                    "signal": "span",
                    "via": via,
                    "service": service,
                    "namespace": namespace,
                    "scope": scope_spans.scope.name,
                    "trace": span.trace_id.hex(),
                    "span": span.span_id.hex(),
                    "parent": span.parent_span_id.hex(),
                    "name": span.name,
                    "kind": trace_pb2.Span.SpanKind.Name(span.kind),
                    "status": trace_pb2.Status.StatusCode.Name(span.status.code),
                    "message": span.status.message,
                    "start": span.start_time_unix_nano,
                    "end": span.end_time_unix_nano,
                    "attributes": attributes(span.attributes),
                })


def take_logs(request, via):
    for resource_logs in request.resource_logs:
        service, namespace = resource_of(resource_logs.resource)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                emit({
                    "signal": "log",
                    "via": via,
                    "service": service,
                    "namespace": namespace,
                    "trace": record.trace_id.hex(),
                    "span": record.span_id.hex(),
                    "severity": record.severity_text,
                    "body": value(record.body),
                    "attributes": attributes(record.attributes),
                })


class Traces(trace_service_pb2_grpc.TraceServiceServicer):
    def Export(self, request, context):
        take_spans(request, "grpc")
        return trace_service_pb2.ExportTraceServiceResponse()


class Logs(logs_service_pb2_grpc.LogsServiceServicer):
    def Export(self, request, context):
        take_logs(request, "grpc")
        return logs_service_pb2.ExportLogsServiceResponse()


class Http(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.headers.get("content-type") != "application/x-protobuf":
            self.send_error(415, "expected application/x-protobuf")
            return
        if self.path == "/v1/traces":
            take_spans(trace_service_pb2.ExportTraceServiceRequest.FromString(body), "http")
            answer = trace_service_pb2.ExportTraceServiceResponse()
        elif self.path == "/v1/logs":
            take_logs(logs_service_pb2.ExportLogsServiceRequest.FromString(body), "http")
            answer = logs_service_pb2.ExportLogsServiceResponse()
        else:
            self.send_error(404)
            return
        payload = answer.SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(Logs(), server)
    grpc_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    http = ThreadingHTTPServer(("127.0.0.1", 0), Http)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    emit_ready = f"ready {grpc_port} {http.server_address[1]}"
    with PRINT:
        print(emit_ready, flush=True)
    sys.stdin.read()
    http.shutdown()
    server.stop(0)


if __name__ == "__main__":
    main()
