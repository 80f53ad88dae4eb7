"""What the call scripts share: a unary method and its request, found through server reflection."""

import sys

from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)


def unary_method(channel, full_method):
    """Returns (callable, request class) for `package.Service/Method`; exits naming the method
    if the server does not describe it."""
    service_name, _, method_name = full_method.partition("/")
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    try:
        method = pool.FindServiceByName(service_name).methods_by_name[method_name]
    except KeyError:
        sys.exit(f"the server does not describe {full_method}")
    call = channel.unary_unary(
        f"/{full_method}",
        request_serializer=lambda message: message.SerializeToString(),
        response_deserializer=message_factory.GetMessageClass(method.output_type).FromString,
    )
    return call, message_factory.GetMessageClass(method.input_type)


def unary_call(channel, full_method, request_json):
    """Returns (callable, request message) for `package.Service/Method` with the request parsed
    from protobuf JSON; exits naming the method if the server does not describe it."""
    call, request_class = unary_method(channel, full_method)
    return call, json_format.Parse(request_json, request_class())
