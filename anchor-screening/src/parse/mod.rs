//! Reading official list files: decompression and one parser per format.

mod eu;
mod ofac_advanced;
mod ofac_csv;
mod uk;
mod un;
mod xml;

use std::io::Read;
use std::path::Path;

pub use eu::parse_eu_xml;
pub use ofac_advanced::parse_ofac_advanced;
pub use ofac_csv::{parse_ofac_csv, OfacCsvFiles};
pub use uk::parse_uk_csv;
pub use un::parse_un_xml;

use crate::error::{Error, Result};
use crate::model::{SanctionsList, SourceList};
use crate::version::ListVersion;

/// The file formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    /// OFAC `SDN_ADVANCED.XML` / `CONS_ADVANCED.XML`.
    OfacAdvancedXml,
    /// OFAC legacy CSV set (`sdn.csv`+`alt.csv`+`add.csv`+`sdn_comments.csv`, or the `cons_*` set):
    /// give the directory, a `.zip` holding the files, or the primary file.
    OfacLegacyCsv,
    /// UN Security Council consolidated XML.
    UnXml,
    /// UK Sanctions List CSV.
    UkCsv,
    /// EU Financial Sanctions File XML 1.1.
    EuXml,
}

/// A parsed list together with its version record.
#[derive(Debug, Clone)]
pub struct LoadedList {
    /// The entities.
    pub list: SanctionsList,
    /// Content hash, publication date and counts.
    pub version: ListVersion,
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), source }
}

/// Largest decompressed list accepted (the largest official list, OFAC's consolidated advanced
/// XML, is a small fraction of this).
pub const MAX_DECOMPRESSED_BYTES: u64 = 1024 * 1024 * 1024;
/// Most bytes reserved ahead of decompressing; the buffer grows past it only as data arrives.
const MAX_PREALLOCATION: usize = 64 * 1024 * 1024;

/// Decompress `.bz2`, `.gz` and `.zip` content (recognised by magic bytes), refusing anything
/// that decompresses to more than [`MAX_DECOMPRESSED_BYTES`]; other input is returned as is. A
/// zip must hold exactly one file, or one `.xml`/`.csv` file.
pub fn decompress(bytes: Vec<u8>, what: &str) -> Result<Vec<u8>> {
    decompress_limited(bytes, what, MAX_DECOMPRESSED_BYTES)
}

/// [`decompress`] with a cap of `limit` decompressed bytes (per zip member and in total): a
/// compression bomb is refused with a clear error as soon as the cap is passed, without
/// inflating the rest.
pub fn decompress_limited(bytes: Vec<u8>, what: &str, limit: u64) -> Result<Vec<u8>> {
    if bytes.starts_with(b"BZh") {
        let decoder = bzip2::read::MultiBzDecoder::new(bytes.as_slice());
        return read_limited(decoder, bytes.len(), what, limit);
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::read::MultiGzDecoder::new(bytes.as_slice());
        return read_limited(decoder, bytes.len(), what, limit);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let members = zip_members(&bytes, what, limit)?;
        let data_files: Vec<_> =
            members.iter().filter(|(n, _)| n.ends_with(".xml") || n.ends_with(".csv")).collect();
        return match (members.len(), data_files.as_slice()) {
            (1, _) => Ok(members.into_iter().next().map(|(_, b)| b).unwrap_or_default()),
            (_, [(_, data)]) => Ok(data.clone()),
            _ => Err(Error::Decompress {
                what: what.to_owned(),
                detail: format!("zip holds {} files; expected one", members.len()),
            }),
        };
    }
    Ok(bytes)
}

/// Reads `decoder` to the end, refusing more than `limit` bytes; reserves a bounded guess from the
/// compressed size.
fn read_limited(decoder: impl Read, compressed: usize, what: &str, limit: u64) -> Result<Vec<u8>> {
    read_at_most(decoder, compressed, limit)
        .map_err(|e| Error::Decompress { what: what.to_owned(), detail: e.to_string() })?
        .ok_or_else(|| too_large(what, limit))
}

/// The decoder's output, or `None` when it is longer than `limit` bytes (reading stops there).
fn read_at_most(decoder: impl Read, compressed: usize, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let guess =
        compressed.saturating_mul(4).min(MAX_PREALLOCATION).min(usize::try_from(limit).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(guess);
    decoder.take(limit.saturating_add(1)).read_to_end(&mut out)?;
    Ok((out.len() as u64 <= limit).then_some(out))
}

fn too_large(what: &str, limit: u64) -> Error {
    Error::Decompress { what: what.to_owned(), detail: format!("it decompresses to more than {limit} bytes") }
}

/// All members of a zip archive as `(lower-case file name, bytes)`, at most `limit` bytes in all.
fn zip_members(bytes: &[u8], what: &str, limit: u64) -> Result<Vec<(String, Vec<u8>)>> {
    let err = |e: &dyn std::fmt::Display| Error::Decompress { what: what.to_owned(), detail: e.to_string() };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| err(&e))?;
    let mut out = Vec::new();
    let mut left = limit;
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(|e| err(&e))?;
        if file.is_dir() {
            continue;
        }
        let name =
            file.name().map_err(|e| err(&e))?.rsplit('/').next().unwrap_or_default().to_ascii_lowercase();
        let data = read_at_most(file, 0, left).map_err(|e| err(&e))?.ok_or_else(|| too_large(what, limit))?;
        left = left.saturating_sub(data.len() as u64);
        out.push((name, data));
    }
    Ok(out)
}

/// Read a file and decompress it if needed.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    decompress(bytes, &path.display().to_string())
}

/// Parse decompressed bytes of a single-file format.
///
/// For [`ListFormat::OfacLegacyCsv`] the bytes are the primary file only (no aliases or
/// addresses); use [`load_list`] to read a whole set.
pub fn parse_bytes(format: ListFormat, list: SourceList, bytes: &[u8]) -> Result<SanctionsList> {
    match format {
        ListFormat::OfacAdvancedXml => parse_ofac_advanced(bytes, list),
        ListFormat::OfacLegacyCsv => {
            parse_ofac_csv(OfacCsvFiles { primary: bytes, ..Default::default() }, list)
        }
        ListFormat::UnXml => parse_un_xml(bytes),
        ListFormat::UkCsv => parse_uk_csv(bytes),
        ListFormat::EuXml => parse_eu_xml(bytes),
    }
}

/// Read, decompress, hash and parse a list file (or legacy CSV set).
///
/// `list` says which list the file is (OFAC advanced XML and legacy CSV serve both the SDN and
/// the consolidated list).
pub fn load_list(format: ListFormat, list: SourceList, path: &Path) -> Result<LoadedList> {
    if format != ListFormat::OfacLegacyCsv {
        let bytes = read_input(path)?;
        let parsed = parse_bytes(format, list, &bytes)?;
        let version = ListVersion::of(&parsed, &[&bytes]);
        return Ok(LoadedList { list: parsed, version });
    }
    let members: Vec<(String, Vec<u8>)> = if path.is_dir() {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path).map_err(|e| io_error(path, e))? {
            let entry = entry.map_err(|e| io_error(path, e))?;
            let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
            if name.ends_with(".csv") {
                out.push((name, std::fs::read(entry.path()).map_err(|e| io_error(&entry.path(), e))?));
            }
        }
        out
    } else {
        let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
        if bytes.starts_with(b"PK\x03\x04") {
            zip_members(&bytes, &path.display().to_string(), MAX_DECOMPRESSED_BYTES)?
        } else {
            // The primary file: its siblings are found next to it.
            let dir = path.parent().unwrap_or(Path::new("."));
            let mut out = Vec::new();
            for name in [
                "sdn.csv",
                "alt.csv",
                "add.csv",
                "sdn_comments.csv",
                "cons_prim.csv",
                "cons_alt.csv",
                "cons_add.csv",
                "cons_comments.csv",
            ] {
                let candidate = dir.join(name);
                if candidate.exists() && candidate != path {
                    out.push((
                        name.to_owned(),
                        std::fs::read(&candidate).map_err(|e| io_error(&candidate, e))?,
                    ));
                }
            }
            let own = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            out.push((own, bytes));
            out
        }
    };
    let find = |name: &str| members.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice());
    let prefix = match list {
        SourceList::OfacConsolidated => "cons_",
        _ => "",
    };
    let primary_name = if prefix.is_empty() { "sdn.csv".to_owned() } else { "cons_prim.csv".to_owned() };
    let comments_name =
        if prefix.is_empty() { "sdn_comments.csv".to_owned() } else { "cons_comments.csv".to_owned() };
    let primary = find(&primary_name).ok_or_else(|| Error::Malformed {
        list: list.clone(),
        detail: format!("{primary_name} not found in {}", path.display()),
    })?;
    let files = OfacCsvFiles {
        primary,
        aliases: find(&format!("{prefix}alt.csv")),
        addresses: find(&format!("{prefix}add.csv")),
        comments: find(&comments_name),
    };
    let parsed = parse_ofac_csv(files, list)?;
    let parts: Vec<&[u8]> =
        [Some(files.primary), files.aliases, files.addresses, files.comments].into_iter().flatten().collect();
    let version = ListVersion::of(&parsed, &parts);
    Ok(LoadedList { list: parsed, version })
}
