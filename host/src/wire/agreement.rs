//! Whether a remote host serves the interface a consumer imports, as the consumer's own WIT
//! describes it: checked through the remote's server reflection before the first call, so a
//! remote built from another version of the WIT is refused with the first difference named
//! (`field \`order.lines.unit_cents\` is uint64 here, uint32 there`), rather than decoding
//! its answers into the wrong values.

use prost::Message;
use prost_reflect::{DescriptorPool, EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor};
use prost_types::FileDescriptorProto;
use prost_types::field_descriptor_proto::Type;
use std::collections::{BTreeMap, BTreeSet};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

/// What the remote's reflection said about the service.
pub enum Served {
    /// The service's descriptors, as the remote serves them.
    Service(DescriptorPool),
    /// The remote does not serve the service; these are the services it does serve.
    Missing { serves: Vec<String> },
}

/// Asks the remote at `channel`, through server reflection, for the descriptors of `service`.
/// An error means the question could not be answered (the remote is down, or offers no
/// reflection), not that the answer differs.
pub async fn ask_remote(channel: Channel, service: &str) -> Result<Served, Status> {
    let mut client = ServerReflectionClient::new(channel);
    let request = |message| ServerReflectionRequest { host: String::new(), message_request: Some(message) };
    let file = request(MessageRequest::FileContainingSymbol(service.to_owned()));
    // Servers say "no such symbol" either in the answer or as the stream's status.
    let answer = match one_answer(&mut client, file).await {
        Err(status) if status.code() == Code::NotFound => None,
        Ok(MessageResponse::ErrorResponse(error)) if Code::from(error.error_code) == Code::NotFound => None,
        Ok(MessageResponse::ErrorResponse(error)) => {
            return Err(Status::new(error.error_code.into(), error.error_message));
        }
        answer => Some(answer?),
    };
    match answer {
        Some(MessageResponse::FileDescriptorResponse(files)) => {
            let files = files
                .file_descriptor_proto
                .iter()
                .map(|bytes| FileDescriptorProto::decode(bytes.as_slice()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Status::internal(format!("the remote's reflection sent an invalid descriptor: {e}")))?;
            let pool = DescriptorPool::from_file_descriptor_set(prost_types::FileDescriptorSet { file: files })
                .map_err(|e| Status::internal(format!("the remote's reflection sent unusable descriptors: {e}")))?;
            Ok(Served::Service(pool))
        }
        Some(_) => Err(Status::internal("the remote's reflection answered another question")),
        None => {
            let list = request(MessageRequest::ListServices(String::new()));
            let serves = match one_answer(&mut client, list).await? {
                MessageResponse::ListServicesResponse(list) => list.service.into_iter().map(|s| s.name).collect(),
                _ => Vec::new(),
            };
            Ok(Served::Missing { serves })
        }
    }
}

/// Sends one reflection request on a stream of its own and returns its one answer.
async fn one_answer(
    client: &mut ServerReflectionClient<Channel>,
    request: ServerReflectionRequest,
) -> Result<MessageResponse, Status> {
    let mut answers = client.server_reflection_info(tokio_stream::once(request)).await?.into_inner();
    let answer: Option<ServerReflectionResponse> = answers.message().await?;
    answer.and_then(|a| a.message_response).ok_or_else(|| Status::internal("the remote's reflection gave no answer"))
}

/// The first difference between two message types that would make them encode differently,
/// by field path; `None` when they agree. `path` prefixes the field names (`order.`).
pub fn message_difference(ours: &MessageDescriptor, theirs: &MessageDescriptor, path: &str) -> Option<String> {
    difference(ours, theirs, path, &mut BTreeSet::new())
}

fn difference(
    ours: &MessageDescriptor,
    theirs: &MessageDescriptor,
    path: &str,
    compared: &mut BTreeSet<(String, String)>,
) -> Option<String> {
    if !compared.insert((ours.full_name().to_owned(), theirs.full_name().to_owned())) {
        return None; // already compared (or being compared, further up)
    }
    let by_number = |m: &MessageDescriptor| m.fields().map(|f| (f.number(), f)).collect::<BTreeMap<_, _>>();
    let (our_fields, their_fields) = (by_number(ours), by_number(theirs));
    let numbers: BTreeSet<u32> = our_fields.keys().chain(their_fields.keys()).copied().collect();
    numbers.into_iter().find_map(|number| match (our_fields.get(&number), their_fields.get(&number)) {
        (Some(our), None) => Some(format!("field `{path}{}` (number {number}) is missing there", our.name())),
        (None, Some(their)) => Some(format!("there is a field `{path}{}` (number {number}) more there", their.name())),
        (Some(our), Some(their)) => field_difference(our, their, path, compared),
        (None, None) => None,
    })
}

fn field_difference(
    ours: &FieldDescriptor,
    theirs: &FieldDescriptor,
    path: &str,
    compared: &mut BTreeSet<(String, String)>,
) -> Option<String> {
    let here = format!("{path}{}", ours.name());
    if ours.name() != theirs.name() {
        return Some(format!("field number {} is `{here}` here, `{path}{}` there", ours.number(), theirs.name()));
    }
    let (our_shape, their_shape) = (describe_shape(ours), describe_shape(theirs));
    if our_shape != their_shape {
        return Some(format!("field `{here}` is {our_shape} here, {their_shape} there"));
    }
    let (our_type, their_type) = (ours.field_descriptor_proto().r#type(), theirs.field_descriptor_proto().r#type());
    if our_type != their_type {
        return Some(format!("field `{here}` is {} here, {} there", type_name(our_type), type_name(their_type)));
    }
    match (ours.kind(), theirs.kind()) {
        (Kind::Message(our), Kind::Message(their)) => difference(&our, &their, &format!("{here}."), compared),
        (Kind::Enum(our), Kind::Enum(their)) => enum_difference(&our, &their, &here),
        _ => None,
    }
}

/// Whether two enums have the same cases, by number and name.
fn enum_difference(ours: &EnumDescriptor, theirs: &EnumDescriptor, here: &str) -> Option<String> {
    let cases = |e: &EnumDescriptor| e.values().map(|v| (v.number(), v.name().to_owned())).collect::<BTreeMap<_, _>>();
    let (our_cases, their_cases) = (cases(ours), cases(theirs));
    (our_cases != their_cases).then(|| {
        let list = |c: &BTreeMap<i32, String>| c.values().cloned().collect::<Vec<_>>().join(", ");
        format!("enum field `{here}` has cases {} here, {} there", list(&our_cases), list(&their_cases))
    })
}

/// `a list`, `optional`, `a case of oneof \`x\``, `a plain field`.
fn describe_shape(field: &FieldDescriptor) -> String {
    if field.is_list() {
        "a list".to_owned()
    } else if field.field_descriptor_proto().proto3_optional() {
        "optional".to_owned()
    } else if let Some(oneof) = field.containing_oneof() {
        format!("a case of oneof `{}`", oneof.name())
    } else {
        "a plain field".to_owned()
    }
}

/// `uint64`, `string`, `message`...
fn type_name(ty: Type) -> String {
    ty.as_str_name().trim_start_matches("TYPE_").to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::proto::ProtoFile;
    use crate::wire::schema::Schema;

    /// The message `pkg.Outer` of a one-file schema.
    fn outer(body: &str) -> MessageDescriptor {
        let text = format!("syntax = \"proto3\";\npackage pkg;\n{body}");
        let file = ProtoFile { path: "pkg/test.proto".into(), service: String::new(), text };
        Schema::compile(&[file]).unwrap().pool.get_message_by_name("pkg.Outer").unwrap()
    }

    const BASE: &str = "message Inner { uint64 cents = 1; repeated string notes = 2; }\n\
                        enum Color { COLOR_UNSPECIFIED = 0; COLOR_RED = 1; }\n\
                        message Outer { Inner inner = 1; Color color = 2; oneof pick { string a = 3; uint32 b = 4; } }";

    #[test]
    fn the_same_schema_agrees() {
        assert_eq!(message_difference(&outer(BASE), &outer(BASE), ""), None);
    }

    #[test]
    fn the_first_difference_is_named_by_its_field_path() {
        let cases = [
            (BASE.replace("uint64 cents", "uint32 cents"), "field `inner.cents` is uint64 here, uint32 there"),
            (
                BASE.replace("repeated string notes", "string notes"),
                "field `inner.notes` is a list here, a plain field there",
            ),
            (BASE.replace("uint32 b = 4;", ""), "field `b` (number 4) is missing there"),
            (BASE.replace("string a = 3;", "string a = 3; bool c = 5;"), "there is a field `c` (number 5) more there"),
            (BASE.replace("Color color", "Color colour"), "field number 2 is `color` here, `colour` there"),
            (
                BASE.replace("COLOR_RED = 1;", "COLOR_BLUE = 1;"),
                "enum field `color` has cases COLOR_UNSPECIFIED, COLOR_RED here, COLOR_UNSPECIFIED, COLOR_BLUE there",
            ),
        ];
        for (theirs, expected) in cases {
            assert_eq!(message_difference(&outer(BASE), &outer(&theirs), "").as_deref(), Some(expected), "{theirs}");
        }
    }
}
