//! The XLSForm CSV layout reader, then validation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(form) = crocevia_xlsform::read_csv(data) {
        let _ = crocevia_xlsform::validate(&form);
    }
});
