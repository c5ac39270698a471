//! The few TensorFlow protobuf messages the program writes or reads, declared with `prost`
//! derives: each struct carries only the fields used, under the field numbers of TensorFlow's
//! `.proto` files (`core/protobuf/config.proto`, `saved_model.proto`, `meta_graph.proto`,
//! `core/framework/kernel_def.proto`). Decoding skips every field not declared, so these
//! partial messages read TensorFlow's full ones; encoding writes only the settings made.
//!
//! Declaring the fields by hand spares the build `protoc` and TensorFlow's `.proto` tree, for
//! one message written (the session's `ConfigProto`) and two read (a `SavedModel`'s graph, the
//! device types of a `KernelList`).

use anyhow::{bail, Context, Result};
use prost::Message;

/// `tensorflow.ConfigProto`: the session settings the program makes. Zero means unset, which
/// TensorFlow reads as its own default.
#[derive(Clone, PartialEq, Message)]
pub struct ConfigProto {
    #[prost(int32, tag = "2")]
    pub intra_op_parallelism_threads: i32,
    #[prost(int32, tag = "5")]
    pub inter_op_parallelism_threads: i32,
    #[prost(bool, tag = "8")]
    pub log_device_placement: bool,
    #[prost(int64, tag = "11")]
    pub operation_timeout_in_ms: i64,
}

/// `tensorflow.SavedModel`: its meta graphs.
#[derive(Clone, PartialEq, Message)]
struct SavedModel {
    #[prost(message, repeated, tag = "2")]
    meta_graphs: Vec<MetaGraphDef>,
}

/// `tensorflow.MetaGraphDef`: its tags and its graph.
#[derive(Clone, PartialEq, Message)]
struct MetaGraphDef {
    #[prost(message, optional, tag = "1")]
    meta_info_def: Option<MetaInfoDef>,
    /// The `GraphDef`, kept serialised: it goes to `Graph::import_graph_def` as it is.
    #[prost(bytes = "vec", optional, tag = "2")]
    graph_def: Option<Vec<u8>>,
}

/// `tensorflow.MetaGraphDef.MetaInfoDef`: the tags a meta graph is loaded by.
#[derive(Clone, PartialEq, Message)]
struct MetaInfoDef {
    #[prost(string, repeated, tag = "4")]
    tags: Vec<String>,
}

/// `tensorflow.KernelList`: the kernels registered for an op.
#[derive(Clone, PartialEq, Message)]
struct KernelList {
    #[prost(message, repeated, tag = "1")]
    kernel: Vec<KernelDef>,
}

/// `tensorflow.KernelDef`: the device type a kernel runs on.
#[derive(Clone, PartialEq, Message)]
struct KernelDef {
    #[prost(string, tag = "2")]
    device_type: String,
}

/// The serialised `GraphDef` of the meta graph tagged exactly `tags` (in any order) in a
/// serialised `SavedModel`.
pub fn saved_model_graph_def(saved_model: &[u8], tags: &[String]) -> Result<Vec<u8>> {
    let saved_model =
        SavedModel::decode(saved_model).context("malformed protobuf message (SavedModel)")?;
    let sorted = |tags: &[String]| {
        let mut tags = tags.to_vec();
        tags.sort_unstable();
        tags
    };
    let wanted = sorted(tags);
    let mut found = Vec::new();
    for meta_graph in saved_model.meta_graphs {
        let graph_tags = sorted(&meta_graph.meta_info_def.unwrap_or_default().tags);
        if graph_tags == wanted {
            return match meta_graph.graph_def {
                Some(graph_def) => Ok(graph_def),
                None => bail!("the meta graph tagged {tags:?} has no graph"),
            };
        }
        found.push(graph_tags);
    }
    bail!("no meta graph is tagged {tags:?}; the SavedModel has {found:?}")
}

/// The `device_type` of every `KernelDef` in a serialised `KernelList`, in order.
pub fn kernel_device_types(kernel_list: &[u8]) -> Result<Vec<String>> {
    let list =
        KernelList::decode(kernel_list).context("malformed protobuf message (KernelList)")?;
    Ok(list.kernel.into_iter().map(|k| k.device_type).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-delimited field, written by hand so the tests do not trust the derives.
    fn field(number: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3) | 2, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn kernel_list_parsing_finds_the_device_types() {
        let mut cpu = field(1, b"MatMul");
        cpu.extend(field(2, b"CPU"));
        cpu.extend([0x30, 0x96, 0x01]); // field 6 varint 150 (priority), skipped
        cpu.extend([0x3d, 1, 2, 3, 4]); // field 7 fixed32, skipped
        let mut gpu = field(1, b"MatMul");
        gpu.extend(field(2, b"GPU"));
        let mut list = field(1, &cpu);
        list.extend(field(1, &gpu));
        assert_eq!(kernel_device_types(&list).unwrap(), ["CPU", "GPU"]);
        assert!(kernel_device_types(&list[..list.len() - 1]).is_err());
        assert!(
            kernel_device_types(&[0x0a, 9, 1]).is_err(),
            "length beyond the end"
        );
    }

    #[test]
    fn the_graph_of_the_tagged_meta_graph_is_found() {
        let meta_graph = |tag: &[u8], graph: &[u8]| {
            let mut info = field(1, b"v1");
            info.extend(field(4, tag));
            let mut meta = field(1, &info);
            meta.extend(field(2, graph));
            field(2, &meta)
        };
        let mut saved_model = vec![0x08, 1]; // schema version 1
        saved_model.extend(meta_graph(b"train", b"GRAPH-A"));
        saved_model.extend(meta_graph(b"serve", b"GRAPH-B"));
        let serve = ["serve".to_string()];
        assert_eq!(
            saved_model_graph_def(&saved_model, &serve).unwrap(),
            b"GRAPH-B"
        );
        let err = saved_model_graph_def(&saved_model, &["gpu".to_string()]).unwrap_err();
        assert!(err.to_string().contains("\"train\""), "{err}");
        assert!(saved_model_graph_def(&saved_model[..saved_model.len() - 1], &serve).is_err());
    }
}
