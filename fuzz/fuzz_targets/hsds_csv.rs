//! The HSDS tabular reader on one or more CSV files (and `datapackage.json`), then
//! validation, then the round trip: what was read, written as a package and read again, is
//! the same records.
#![no_main]

use crocevia_core::hsds::formats::{read_tabular, write_tabular};
use crocevia_core::hsds::validate::{Existing, validate};
use crocevia_fuzz::{records, sorted, split_files};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let files = split_files(data, "services.csv");
    let out = read_tabular(&files);
    let first = records(&out.records);
    let mut batch = out.records;
    let _ = validate(&mut batch, &Existing::new());

    // Without datapackage.json: reading checks only that it is JSON, and parsing its
    // 120 KB at every run would be most of the work.
    let mut written = write_tabular(&first);
    written.retain(|(name, _)| name != "datapackage.json");
    let again = read_tabular(&written);
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert_eq!(sorted(first), sorted(records(&again.records)));
});
