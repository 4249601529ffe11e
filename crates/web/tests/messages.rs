//! Every message id the templates and the code use exists in every complete language (and,
//! for portal ids, in every portal language), so no page ever shows a raw id.

// Tests fail by panicking; some read the wall clock as the server under test does.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use crocevia_i18n::{LANGUAGES, Messages, PORTAL_PREFIXES};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// Ids passed literally to `t(`, `tn(` or `ts(`, in the web's templates and code and in the
/// use cases whose labels it shows (`crocevia-app`).
fn used_ids() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    files(&root.join("templates"), "html", &mut sources);
    files(&root.join("src"), "rs", &mut sources);
    files(&root.join("../app/src"), "rs", &mut sources);
    let mut ids = Vec::new();
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for call in ["t(\"", "tn(\"", "ts(\""] {
            for (i, _) in text.match_indices(call) {
                let preceded_by_word = text[..i]
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_');
                if preceded_by_word {
                    continue;
                }
                let rest = &text[i + call.len()..];
                if let Some(end) = rest.find('"') {
                    ids.push((rest[..end].to_owned(), path.display().to_string()));
                }
            }
        }
    }
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn every_used_message_exists_where_it_must() {
    let messages = Messages::embedded();
    let used = used_ids();
    assert!(
        used.len() > 30,
        "the scan finds the templates' messages ({})",
        used.len()
    );
    let mut missing = Vec::new();
    for (id, file) in &used {
        for lang in LANGUAGES {
            let required = lang.complete || PORTAL_PREFIXES.iter().any(|p| id.starts_with(p));
            if required && !messages.has(lang.code, id) {
                missing.push(format!("{id} ({}) used in {file}", lang.code));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "missing messages:\n{}",
        missing.join("\n")
    );
}
