//! The few TensorFlow protobuf messages the program writes or reads, declared with `prost`
//! derives: each struct carries only the fields used, under the field numbers of TensorFlow's
//! `.proto` files (`core/protobuf/config.proto`, `saved_model.proto`, `meta_graph.proto`,
//! `core/framework/kernel_def.proto`). Decoding skips every field not declared, so these
//! partial messages read TensorFlow's full ones; encoding writes only the settings made.
//!
//! Declaring the fields by hand spares the build `protoc` and TensorFlow's `.proto` tree, for
//! one message written (the session's `ConfigProto`), two read (a `SavedModel`'s graph, the
//! device types of a `KernelList`) and one cut (a `GraphDef`, whose part that TensorBoard's
//! summary ops need is copied without device names: see [`device_free_subgraph`]).

use std::collections::{BTreeMap, BTreeSet};

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

/// `tensorflow.GraphDef`: its nodes, with the function library and versions kept serialised.
#[derive(Clone, PartialEq, Message)]
struct GraphDef {
    #[prost(message, repeated, tag = "1")]
    node: Vec<NodeDef>,
    #[prost(bytes = "vec", optional, tag = "2")]
    library: Option<Vec<u8>>,
    #[prost(bytes = "vec", optional, tag = "4")]
    versions: Option<Vec<u8>>,
}

/// `tensorflow.NodeDef`: name, op, inputs, device, and the attributes kept serialised (an
/// `AttrValue` is a message, so its bytes pass through unchanged). The experimental debug
/// info and full type are left out.
#[derive(Clone, PartialEq, Message)]
struct NodeDef {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    op: String,
    #[prost(string, repeated, tag = "3")]
    input: Vec<String>,
    #[prost(string, tag = "4")]
    device: String,
    #[prost(btree_map = "string, bytes", tag = "5")]
    attr: BTreeMap<String, Vec<u8>>,
}

/// The part of the serialised `graph_def` that the ops named `roots` need (they and, through
/// their data and control inputs, everything they depend on), with every device name
/// cleared, serialised again. A graph pinned to a cluster (`export.py --cluster`) cannot be
/// placed in a local session; this part of it can.
pub fn device_free_subgraph(graph_def: &[u8], roots: &[&str]) -> Result<Vec<u8>> {
    let graph = GraphDef::decode(graph_def).context("the graph is not a valid GraphDef")?;
    let by_name: BTreeMap<&str, &NodeDef> = graph
        .node
        .iter()
        .map(|node| (node.name.as_str(), node))
        .collect();
    let mut needed = BTreeSet::new();
    let mut stack: Vec<&str> = roots.to_vec();
    while let Some(name) = stack.pop() {
        if !needed.insert(name) {
            continue;
        }
        let Some(node) = by_name.get(name) else {
            bail!("the graph has no op {name:?}");
        };
        for input in &node.input {
            // "^name" is a control input, "name:1" the second output of `name`.
            let input = input.trim_start_matches('^');
            stack.push(input.split(':').next().unwrap_or(input));
        }
    }
    let node = graph
        .node
        .iter()
        .filter(|node| needed.contains(node.name.as_str()))
        .map(|node| NodeDef {
            device: String::new(),
            ..node.clone()
        })
        .collect();
    let cut = GraphDef {
        node,
        library: graph.library.clone(),
        versions: graph.versions.clone(),
    };
    Ok(cut.encode_to_vec())
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

    #[test]
    fn the_subgraph_of_some_ops_keeps_what_they_need_without_devices() {
        let node = |name: &[u8], inputs: &[&[u8]], device: &[u8]| {
            let mut bytes = field(1, name);
            bytes.extend(field(2, b"Op"));
            for input in inputs {
                bytes.extend(field(3, input));
            }
            bytes.extend(field(4, device));
            // attr {key: "dtype", value: <AttrValue bytes>}
            let mut entry = field(1, b"dtype");
            entry.extend(field(2, &[0x30, 0x01]));
            bytes.extend(field(5, &entry));
            field(1, &bytes)
        };
        let mut graph = node(b"a", &[], b"/job:worker/task:0");
        graph.extend(node(b"b", &[b"a:1", b"^c"], b"/job:worker/task:1"));
        graph.extend(node(b"c", &[], b"/job:worker/task:0"));
        graph.extend(node(b"unused", &[b"a"], b"/job:worker/task:0"));
        graph.extend(field(4, &[0x08, 0x2a])); // versions {producer: 42}
        let cut = device_free_subgraph(&graph, &["b"]).unwrap();
        let decoded = GraphDef::decode(cut.as_slice()).unwrap();
        let names: Vec<&str> = decoded.node.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert!(decoded.node.iter().all(|n| n.device.is_empty()));
        assert_eq!(decoded.node[1].input, ["a:1", "^c"]);
        assert_eq!(decoded.node[0].attr["dtype"], [0x30, 0x01]);
        assert_eq!(decoded.versions.as_deref(), Some(&[0x08, 0x2a][..]));
        let err = device_free_subgraph(&graph, &["missing"]).unwrap_err();
        assert!(err.to_string().contains("\"missing\""), "{err}");
    }
}
