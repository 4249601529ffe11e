//! Front-end assets, embedded in the binary so a release is one file.
//!
//! 1. When `web/node_modules` is missing or older than `web/package-lock.json`, runs
//!    `npm ci --no-audit --no-fund` in `web/` (Node.js and npm must be installed).
//! 2. Copies the files the pages use into `$OUT_DIR/static/`:
//!    `bootstrap-italia/{css,js,svg,fonts}/…`, `leaflet/…`, `htmx/htmx.min.js`, and every file
//!    under `crates/web/assets/` as `crocevia/…`.
//! 3. Writes `$OUT_DIR/static_files.rs`: a sorted table of (path, bytes, ETag) with the bytes
//!    pulled in by `include_bytes!`, which `src/assets.rs` includes and serves.
//!
//! It reruns only when `web/package.json`, `web/package-lock.json` or `crates/web/assets/`
//! change.

use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Single files: (path under `web/node_modules`, path under `/static`).
const FILES: &[(&str, &str)] = &[
    (
        "bootstrap-italia/dist/css/bootstrap-italia.min.css",
        "bootstrap-italia/css/bootstrap-italia.min.css",
    ),
    (
        "bootstrap-italia/dist/js/bootstrap-italia.bundle.min.js",
        "bootstrap-italia/js/bootstrap-italia.bundle.min.js",
    ),
    (
        "bootstrap-italia/dist/svg/sprites.svg",
        "bootstrap-italia/svg/sprites.svg",
    ),
    ("bootstrap-italia/LICENSE", "bootstrap-italia/LICENSE.txt"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/LICENSE", "leaflet/LICENSE.txt"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("htmx.org/LICENSE", "htmx/LICENSE.txt"),
];

/// Whole directories: (directory under `web/node_modules`, directory under `/static`, file
/// name endings kept). Fonts: browsers that run Bootstrap Italia 2 take WOFF2 (then WOFF);
/// the EOT, TTF and SVG copies would only make the binary larger. The licences must travel
/// with the fonts.
const DIRS: &[(&str, &str, &[&str])] = &[
    (
        "bootstrap-italia/dist/fonts",
        "bootstrap-italia/fonts",
        &[".woff2", ".woff", ".txt"],
    ),
    ("leaflet/dist/images", "leaflet/images", &[".png", ".svg"]),
];

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env("OUT_DIR"));
    let web_dir = manifest_dir.join("../../web");
    let own_assets = manifest_dir.join("assets");

    println!("cargo:rerun-if-changed=build.rs");
    println!(
        "cargo:rerun-if-changed={}",
        web_dir.join("package.json").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        web_dir.join("package-lock.json").display()
    );
    println!("cargo:rerun-if-changed={}", own_assets.display());

    ensure_node_modules(&web_dir);

    let static_dir = out_dir.join("static");
    match fs::remove_dir_all(&static_dir) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => fail(&format!("cannot clear {}: {e}", static_dir.display())),
    }
    let node_modules = web_dir.join("node_modules");
    let mut copied: Vec<String> = Vec::new();
    for (from, to) in FILES {
        copy(&node_modules.join(from), &static_dir, to, &mut copied);
    }
    for (from, to, endings) in DIRS {
        let dir = node_modules.join(from);
        for file in walk(&dir) {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if endings.iter().any(|e| name.ends_with(e)) {
                let rel = relative(&dir, &file);
                copy(&file, &static_dir, &format!("{to}/{rel}"), &mut copied);
            }
        }
    }
    for file in walk(&own_assets) {
        let rel = relative(&own_assets, &file);
        copy(&file, &static_dir, &format!("crocevia/{rel}"), &mut copied);
    }
    copied.sort();
    copied.dedup();
    write_table(&static_dir, &copied, &out_dir.join("static_files.rs"));
}

/// Runs `npm ci` unless `node_modules` was installed from the current lockfile. npm writes
/// `node_modules/.package-lock.json` at the end of every install.
fn ensure_node_modules(web_dir: &Path) {
    let lock = web_dir.join("package-lock.json");
    let lock_time = fs::metadata(&lock)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", lock.display())));
    let installed = web_dir.join("node_modules/.package-lock.json");
    let fresh = fs::metadata(&installed)
        .and_then(|m| m.modified())
        .map(|t| t >= lock_time)
        .unwrap_or(false);
    if fresh {
        return;
    }
    // Several cargo processes (build, clippy, test) may get here at once: one installs,
    // the others wait and then find node_modules fresh.
    let lock_path = web_dir.join(".npm-ci.lock");
    let guard = fs::File::create(&lock_path)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", lock_path.display())));
    guard
        .lock()
        .unwrap_or_else(|e| fail(&format!("cannot lock {}: {e}", lock_path.display())));
    let fresh = fs::metadata(&installed)
        .and_then(|m| m.modified())
        .map(|t| t >= lock_time)
        .unwrap_or(false);
    if fresh {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let output = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(web_dir)
        .output();
    match output {
        Ok(out) if out.status.success() => {
            // npm ci may not touch the hidden lockfile's time when nothing changed.
            let _ = fs::File::options()
                .append(true)
                .open(&installed)
                .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        }
        Ok(out) => fail(&format!(
            "`npm ci` failed in {} ({}):\n{}\n{}",
            web_dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => fail(&format!(
            "npm was not found. Crocevia's web pages need front-end packages from \
             web/package.json: install Node.js (20 or later) with npm, e.g. \
             `apt-get install nodejs npm`, then build again. (Or run `npm ci` in {} yourself.)",
            web_dir.display()
        )),
        Err(e) => fail(&format!("cannot run npm: {e}")),
    }
}

fn copy(from: &Path, static_dir: &Path, to: &str, copied: &mut Vec<String>) {
    let dest = static_dir.join(to);
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)
            .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", parent.display())));
    }
    fs::copy(from, &dest).unwrap_or_else(|e| {
        fail(&format!(
            "cannot copy {} to {}: {e} (is web/node_modules complete? try `npm ci` in web/)",
            from.display(),
            dest.display()
        ))
    });
    copied.push(to.to_string());
}

/// Every file under `dir`, recursively, skipping hidden files (editor backups, .DS_Store).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", dir.display())));
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        if hidden {
            continue;
        }
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn relative(base: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(base).expect("walked file under its base");
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The table `src/assets.rs` includes, sorted by path for binary search. Text files also get
/// their brotli and gzip forms, written beside them, when those save at least a tenth.
fn write_table(static_dir: &Path, paths: &[String], dest: &Path) {
    let mut code = String::from(
        "// Generated by crates/web/build.rs: the files under /static, sorted by path.\n\
         pub(crate) static FILES: &[StaticFile] = &[\n",
    );
    for path in paths {
        let file = static_dir.join(path);
        let bytes = fs::read(&file)
            .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", file.display())));
        let etag = format!("\"{:016x}-{:x}\"", fnv1a(&bytes), bytes.len());
        let abs = utf8(&file);
        let (br, gzip) = if is_compressible(path) {
            let write = |ending: &str, packed: Vec<u8>| {
                (packed.len() * 10 < bytes.len() * 9).then(|| {
                    let packed_file = PathBuf::from(format!("{abs}.{ending}"));
                    fs::write(&packed_file, packed).unwrap_or_else(|e| {
                        fail(&format!("cannot write {}: {e}", packed_file.display()))
                    });
                    format!("Some(include_bytes!({:?}))", utf8(&packed_file))
                })
            };
            (write("br", brotli_of(&bytes)), write("gz", gzip_of(&bytes)))
        } else {
            (None, None)
        };
        let none = || "None".to_owned();
        let _ = writeln!(
            code,
            "    StaticFile {{ path: {path:?}, bytes: include_bytes!({abs:?}), etag: {etag:?}, \
             br: {}, gzip: {} }},",
            br.unwrap_or_else(none),
            gzip.unwrap_or_else(none),
        );
    }
    code.push_str("];\n");
    fs::write(dest, code)
        .unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", dest.display())));
}

fn utf8(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| fail(&format!("{} is not valid UTF-8", path.display())))
}

/// Text formats: fonts (WOFF2, WOFF) and images are compressed already.
fn is_compressible(path: &str) -> bool {
    [".css", ".js", ".svg", ".json", ".txt", ".map", ".geojson"]
        .iter()
        .any(|ending| path.ends_with(ending))
}

/// Brotli at its best quality: compressed once per build, sent many times.
fn brotli_of(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)
        .unwrap_or_else(|e| fail(&format!("brotli: {e}")));
    out
}

fn gzip_of(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .unwrap_or_else(|e| fail(&format!("gzip: {e}")))
}

/// FNV-1a, 64 bits: enough to tell two versions of one file apart for an ETag.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| fail(&format!("{name} is not set (run through cargo)")))
}

fn fail(message: &str) -> ! {
    eprintln!("\nerror: crocevia-web build: {message}\n");
    std::process::exit(1)
}
