//! OFAC legacy CSV set. The input is split at `\0` bytes into up to four files: the primary
//! (`sdn.csv`), then aliases (`alt.csv`), addresses (`add.csv`) and comments (`sdn_comments.csv`).
#![no_main]

use anchor_screening::{parse_ofac_csv, OfacCsvFiles, SourceList};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&b| b == 0);
    let primary = parts.next().unwrap_or_default();
    let files =
        OfacCsvFiles { primary, aliases: parts.next(), addresses: parts.next(), comments: parts.next() };
    let _ = parse_ofac_csv(files, SourceList::OfacSdn);
});
