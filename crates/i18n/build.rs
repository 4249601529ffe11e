//! Rebuild when a message file is added, changed or removed: `include_dir!` alone does not
//! tell cargo about files that are new.
fn main() {
    println!("cargo:rerun-if-changed=../../locales");
}
