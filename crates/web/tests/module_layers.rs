//! No import circle inside a crate: within each crate of the workspace, the top-level modules
//! that name each other through `crate::…` form layers, never a cycle (a cycle is where one
//! change drags the rest along; `web::kit` is the base the page modules build on).

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src` (a file or a folder) and the top-level modules its code
/// names through `crate::`, outside comments and test modules.
fn references(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if ["lib", "main"].contains(&name.as_str()) {
            continue;
        }
        let files: Vec<PathBuf> = if path.is_dir() {
            walk(&path)
        } else if path.extension().is_some_and(|e| e == "rs") {
            vec![path.clone()]
        } else {
            continue;
        };
        let names: &mut BTreeSet<String> = modules.entry(name.clone()).or_default();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for piece in line.split("crate::").skip(1) {
                    let module: String = piece
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if module != name {
                        names.insert(module);
                    }
                }
            }
        }
    }
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    for names in modules.values_mut() {
        names.retain(|n| known.contains(n));
    }
    modules
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// A cycle through `start`, if there is one: the modules along it.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    at: &str,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    for next in &graph[at] {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(start.to_owned());
            return Some(cycle);
        }
        if seen.insert(next.clone()) {
            path.push(next.clone());
            if let Some(found) = cycle_from(graph, start, next, path, seen) {
                return Some(found);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut circles = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        checked += 1;
        let graph = references(&src);
        for start in graph.keys() {
            let mut path = vec![start.clone()];
            if let Some(cycle) = cycle_from(&graph, start, start, &mut path, &mut BTreeSet::new()) {
                circles.push(format!("{}: {}", src.display(), cycle.join(" → ")));
                break;
            }
        }
    }
    assert!(
        checked >= 8,
        "the workspace's crates were found ({checked})"
    );
    assert!(circles.is_empty(), "{}", circles.join("\n"));
}
