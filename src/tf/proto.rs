//! Just enough of the protobuf wire format to read the few fields this program needs from
//! TensorFlow's serialised messages (a `SavedModel`'s graph, a `KernelList`'s device types),
//! without generated code.

use anyhow::{anyhow, bail, Result};

/// One field's value: varints and fixed-width numbers are skipped, bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Varint(u64),
    Fixed,
    Bytes(&'a [u8]),
}

/// Splits a serialised message into (field number, value) pairs, in order.
pub fn fields(mut bytes: &[u8]) -> Result<Vec<(u64, Value<'_>)>> {
    let bad = || anyhow!("malformed protobuf message");
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let key = read_varint(&mut bytes).ok_or_else(bad)?;
        let value = match key & 7 {
            0 => read_varint(&mut bytes).map(Value::Varint),
            1 | 5 => {
                let width = if key & 7 == 1 { 8 } else { 4 };
                bytes.get(width..).map(|rest| {
                    bytes = rest;
                    Value::Fixed
                })
            }
            2 => {
                let len = read_varint(&mut bytes).ok_or_else(bad)?;
                let len = usize::try_from(len).map_err(|_| bad())?;
                (len <= bytes.len()).then(|| {
                    let (value, rest) = bytes.split_at(len);
                    bytes = rest;
                    Value::Bytes(value)
                })
            }
            _ => None,
        };
        fields.push((key >> 3, value.ok_or_else(bad)?));
    }
    Ok(fields)
}

/// The byte strings of every occurrence of field `number` (a repeated or embedded field).
pub fn bytes_fields(message: &[u8], number: u64) -> Result<Vec<&[u8]>> {
    Ok(fields(message)?
        .into_iter()
        .filter_map(|(field, value)| match (field == number, value) {
            (true, Value::Bytes(bytes)) => Some(bytes),
            _ => None,
        })
        .collect())
}

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

/// The serialised `GraphDef` of the meta graph tagged exactly `tags` in a serialised
/// `SavedModel` (`meta_graphs` = 2; in a `MetaGraphDef`, `meta_info_def` = 1 with `tags` = 4,
/// and `graph_def` = 2).
pub fn saved_model_graph_def<'a>(saved_model: &'a [u8], tags: &[String]) -> Result<&'a [u8]> {
    let mut wanted: Vec<&str> = tags.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    let mut found = Vec::new();
    for meta_graph in bytes_fields(saved_model, 2)? {
        let mut graph_tags = Vec::new();
        for info in bytes_fields(meta_graph, 1)? {
            for tag in bytes_fields(info, 4)? {
                graph_tags.push(String::from_utf8_lossy(tag).into_owned());
            }
        }
        graph_tags.sort_unstable();
        if graph_tags == wanted {
            return match bytes_fields(meta_graph, 2)?.as_slice() {
                [graph_def] => Ok(graph_def),
                _ => bail!("the meta graph tagged {tags:?} has no graph"),
            };
        }
        found.push(graph_tags);
    }
    bail!("no meta graph is tagged {tags:?}; the SavedModel has {found:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-delimited field.
    pub fn field(number: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3) | 2, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn fields_are_split_and_values_kept() {
        let mut message = field(1, b"MatMul");
        message.extend([0x30, 0x96, 0x01]); // field 6, varint 150
        message.extend([0x0d, 1, 2, 3, 4]); // field 1, fixed32
        assert_eq!(
            fields(&message).unwrap(),
            [
                (1, Value::Bytes(b"MatMul")),
                (6, Value::Varint(150)),
                (1, Value::Fixed)
            ]
        );
        assert!(fields(&message[..message.len() - 1]).is_err());
        assert!(fields(&[0x0a, 9, 1]).is_err(), "length beyond the end");
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
    }
}
