//! Helpers shared by the fuzz targets: how one fuzz input becomes several files, and how
//! two sets of HSDS records are compared.

use crocevia_core::hsds::Record;
use crocevia_core::hsds::validate::SourcedRecord;

/// The marker that starts a file in a multi-file input: `\0FILE:<name>\n<content>`.
pub const FILE_MARK: &[u8] = b"\0FILE:";

/// Splits an input into files (name, content). An input without a leading marker is one
/// file named `default`.
pub fn split_files(data: &[u8], default: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut rest = data;
    if !rest.starts_with(FILE_MARK) {
        let end = find(rest, FILE_MARK).unwrap_or(rest.len());
        files.push((default.to_owned(), rest[..end].to_vec()));
        rest = &rest[end..];
    }
    while let Some(body) = rest.strip_prefix(FILE_MARK) {
        let end = find(body, FILE_MARK).unwrap_or(body.len());
        let chunk = &body[..end];
        let (name, content) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (&chunk[..i], &chunk[i + 1..]),
            None => (chunk, &[][..]),
        };
        files.push((String::from_utf8_lossy(name).into_owned(), content.to_vec()));
        rest = &body[end..];
    }
    files
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Records in a canonical order, so two reads can be compared whatever their file order.
pub fn sorted(records: impl IntoIterator<Item = Record>) -> Vec<String> {
    let mut out: Vec<String> = records
        .into_iter()
        .map(|r| {
            // Fields in name order: the order of columns is not part of the data.
            let fields: std::collections::BTreeMap<_, _> = r.fields.into_iter().collect();
            serde_json::to_string(&(r.table, r.id, fields)).expect("a record serialises")
        })
        .collect();
    out.sort();
    out
}

pub fn records(read: &[SourcedRecord]) -> Vec<Record> {
    read.iter().map(|s| s.record.clone()).collect()
}
