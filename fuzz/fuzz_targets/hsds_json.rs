//! The HSDS JSON reader (one object, a list, NDJSON, an API page, our bundle), then
//! validation; a batch that validates is written as JSON and read back (and validated, which
//! merges repeated nested rows) to the same records.
#![no_main]

use crocevia_core::hsds::formats::{read_json, write_json};
use crocevia_core::hsds::validate::{Existing, validate};
use crocevia_fuzz::{records, sorted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let out = read_json("upload.json", data);
    let mut batch = out.records;
    let problems = validate(&mut batch, &Existing::new());
    if !problems.is_empty() || !out.problems.is_empty() {
        return;
    }
    let first = records(&batch);
    let bytes = write_json(&first);
    let again = read_json("again.json", &bytes);
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    // Nested objects repeat rows (a term's taxonomy_detail is also in `taxonomies`):
    // validation merges identical repeats, as at import.
    let mut again = again.records;
    let problems = validate(&mut again, &Existing::new());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(sorted(first), sorted(records(&again)));
});
