//! Tidy: repository-wide conventions checked as tests, in the style of rust-analyzer's
//! `xtask/src/tidy.rs`. Every `*.rs` file in the repository (build output, `.git`, `node_modules`
//! and the fuzz corpus, artifacts and coverage excluded) must
//!
//! - open with a `//!` doc paragraph: its first non-empty line starts with `//!` and says something.
//!   The doc comes first, before any inner attribute (`#![allow(…)]`, `#![cfg(…)]`), so a reader
//!   meets what the file is for before how it is compiled or linted;
//! - be at most [`MAX_LINES`] lines long, unless it is listed in [`LONG_FILES`] with a reason (an
//!   entry whose file is no longer over the limit fails too, so the list stays true);
//! - give every `allow` attribute (`#[allow(…)]`, `#![allow(…)]`, `#[cfg_attr(…, allow(…))]`) a
//!   `reason = "…"` (Rust's lint reasons).
//!
//! - keep the dependency rule of ARCHITECTURE.md that the compiler cannot: the screening engine
//!   (`anchor-screening`) builds with no crate of ours and no database, HTTP or async runtime
//!   (read from `cargo tree`, so a dependency that arrives through another crate counts too).
//!
//! The checkers are plain functions over a file's text, tested at the bottom of this file on small
//! inline sources.

use std::fs;
use std::path::{Path, PathBuf};

/// The most lines a source file may have before it must be split (or listed in [`LONG_FILES`]).
const MAX_LINES: usize = 1_000;

/// Files allowed over [`MAX_LINES`], each with the reason (path relative to the repository root).
const LONG_FILES: &[(&str, &str)] = &[];

/// Directory names skipped wherever they are: build output, git's own data, npm packages.
const SKIPPED_DIR_NAMES: &[&str] = &["target", ".git", "node_modules"];

/// Paths (relative to the repository root) skipped: the fuzzers' output and inputs, not sources.
const SKIPPED_PATHS: &[&str] = &["fuzz/target", "fuzz/corpus", "fuzz/artifacts", "fuzz/coverage"];

#[test]
fn the_walk_sees_the_workspace_and_fuzz_sources_and_skips_the_fuzz_corpus() {
    let files = source_files();
    let paths: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
    for expected in
        ["anchor-core/src/lib.rs", "example-anchor/src/main.rs", "fuzz/src/lib.rs", "xtask/tests/tidy.rs"]
    {
        assert!(paths.contains(&expected), "the walk from {} missed {expected}", root().display());
    }
    let skipped: Vec<&&str> = paths
        .iter()
        .filter(|path| SKIPPED_PATHS.iter().any(|skipped| path.starts_with(&format!("{skipped}/"))))
        .collect();
    assert!(skipped.is_empty(), "the walk entered a skipped directory: {skipped:?}");
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    let offenders: Vec<String> = source_files()
        .iter()
        .filter_map(|file| {
            first_line_without_module_doc(&file.text).map(|line| format!("{}:{line}", file.path))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "{} file(s) do not open with a `//!` doc paragraph:\n  {}\n\
         Fix: make the file's first line a `//!` paragraph saying what the file is for (for a test \
         module, what its tests prove), above any `#![…]` inner attribute.",
        offenders.len(),
        offenders.join("\n  "),
    );
}

#[test]
fn no_source_file_is_over_the_line_limit_unless_listed_with_a_reason() {
    let lengths: Vec<(String, usize)> =
        source_files().iter().map(|file| (file.path.clone(), line_count(&file.text))).collect();
    let problems = long_file_problems(&lengths, LONG_FILES);
    let over: Vec<&str> =
        problems.iter().filter(|problem| !problem.stale).map(|problem| problem.message.as_str()).collect();
    assert!(
        over.is_empty(),
        "{} file(s) are over {MAX_LINES} lines:\n  {}\n\
         Fix: split the file into a folder of modules by concern; if it must stay long for now, add it \
         to LONG_FILES in xtask/tests/tidy.rs with the reason.",
        over.len(),
        over.join("\n  "),
    );
}

#[test]
fn every_long_file_entry_is_still_over_the_limit_and_gives_a_reason() {
    let lengths: Vec<(String, usize)> =
        source_files().iter().map(|file| (file.path.clone(), line_count(&file.text))).collect();
    let stale: Vec<String> = long_file_problems(&lengths, LONG_FILES)
        .into_iter()
        .filter(|problem| problem.stale)
        .map(|problem| problem.message)
        .collect();
    assert!(
        stale.is_empty(),
        "{} stale LONG_FILES entries in xtask/tests/tidy.rs:\n  {}\n\
         Fix: remove the entry (the file was split or shortened), or give it its reason.",
        stale.len(),
        stale.join("\n  "),
    );
}

#[test]
fn every_allow_attribute_gives_a_reason() {
    let offenders: Vec<String> = source_files()
        .iter()
        .flat_map(|file| {
            allows_without_reason(&file.text).into_iter().map(|line| format!("{}:{line}", file.path))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "{} `allow` attribute(s) without a reason:\n  {}\n\
         Fix: say why the lint does not apply there, e.g. \
         `#[allow(clippy::too_many_arguments, reason = \"…\")]`, or remove the allow if the lint no \
         longer fires (clippy must stay clean).",
        offenders.len(),
        offenders.join("\n  "),
    );
}

/// One `*.rs` file: its path relative to the repository root (with `/`) and its text.
struct SourceFile {
    path: String,
    text: String,
}

/// The repository root: the parent of this crate's directory.
/// Crates the pure screening engine must never build with, directly or through another crate.
const NOT_IN_THE_ENGINE: &[&str] = &[
    "anchor-core",
    "anchor-aml",
    "anchor-console",
    "anchor-sep10",
    "anchor-sep12",
    "anchor-sep3",
    "diesel",
    "actix-web",
    "tokio",
    "reqwest",
    "maud",
    "lettre",
];

#[test]
fn the_screening_engine_builds_with_no_crate_of_ours_and_no_database_http_or_runtime() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let run = std::process::Command::new(cargo)
        .args(["tree", "-p", "anchor-screening", "-e", "normal", "--prefix", "none", "--offline"])
        .current_dir(root())
        .output();
    let Ok(output) = run else { panic!("cannot run cargo tree: {run:?}") };
    let tree = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    assert!(tree.lines().next().is_some_and(|line| line.starts_with("anchor-screening ")), "{tree}");
    let crates: Vec<&str> = tree.lines().filter_map(|line| line.split_whitespace().next()).collect();
    let forbidden: Vec<&&str> = NOT_IN_THE_ENGINE.iter().filter(|name| crates.contains(name)).collect();
    assert!(
        forbidden.is_empty(),
        "anchor-screening builds with {forbidden:?} (ARCHITECTURE.md, the dependency rule)"
    );
}

fn root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Every `*.rs` file under the repository root, sorted by path, skipping [`SKIPPED_DIR_NAMES`] and
/// [`SKIPPED_PATHS`]. Symbolic links are not followed.
fn source_files() -> Vec<SourceFile> {
    let root = root();
    let mut files = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()));
        for entry in entries {
            let entry = entry.unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()));
            let path = entry.path();
            let relative = relative_path(&root, &path);
            let file_type =
                entry.file_type().unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
            if file_type.is_dir() {
                let name = entry.file_name();
                let skipped = SKIPPED_DIR_NAMES.iter().any(|skipped| name == *skipped)
                    || SKIPPED_PATHS.contains(&relative.as_str());
                if !skipped {
                    pending.push(path);
                }
            } else if file_type.is_file() && path.extension().is_some_and(|extension| extension == "rs") {
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
                files.push(SourceFile { path: relative, text });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// `path` relative to `root`, with `/` between components on every platform.
fn relative_path(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let components: Vec<String> =
        relative.components().map(|component| component.as_os_str().to_string_lossy().into_owned()).collect();
    components.join("/")
}

/// The number of lines in `text` (a last line without a newline counts).
fn line_count(text: &str) -> usize {
    text.lines().count()
}

/// `None` when `text` opens with a `//!` doc paragraph; otherwise the (1-based) line that should
/// have been the doc: the first non-empty line, or line 1 of an empty file.
///
/// The doc must come first: a file that opens with an inner attribute (`#![allow(…)]`) and has its
/// `//!` below it is refused, so every file reads the same way. A `//!` line with nothing after it
/// is not a paragraph and is refused too.
fn first_line_without_module_doc(text: &str) -> Option<usize> {
    let Some((index, line)) = text.lines().enumerate().find(|(_, line)| !line.trim().is_empty()) else {
        return Some(1);
    };
    let opens_with_doc = line.trim_start().strip_prefix("//!").is_some_and(|doc| !doc.trim().is_empty());
    if opens_with_doc {
        None
    } else {
        Some(index + 1)
    }
}

/// What is wrong with a file's length, or with a [`LONG_FILES`] entry.
#[derive(Debug)]
struct LengthProblem {
    /// `true` for an allowlist entry that no longer holds (the file is short enough, is gone, or the
    /// entry has no reason); `false` for a file over the limit that is not listed.
    stale: bool,
    message: String,
}

/// Compares each `(path, line count)` with [`MAX_LINES`] and `allowlist` (`(path, reason)`).
fn long_file_problems(lengths: &[(String, usize)], allowlist: &[(&str, &str)]) -> Vec<LengthProblem> {
    let mut problems = Vec::new();
    for (path, lines) in lengths {
        if *lines > MAX_LINES && !allowlist.iter().any(|(listed, _)| listed == path) {
            problems.push(LengthProblem { stale: false, message: format!("{path}: {lines} lines") });
        }
    }
    for (listed, reason) in allowlist {
        let message = match lengths.iter().find(|(path, _)| path == listed) {
            None => format!("{listed}: listed, but there is no such file"),
            Some((_, lines)) if *lines <= MAX_LINES => {
                format!("{listed}: listed, but it has {lines} lines, within the limit of {MAX_LINES}")
            }
            Some(_) if reason.trim().is_empty() => format!("{listed}: listed without a reason"),
            Some(_) => continue,
        };
        problems.push(LengthProblem { stale: true, message });
    }
    problems
}

/// The (1-based) lines of the attributes in `text` that contain an `allow(…)` without a non-empty
/// `reason = "…"` inside it: `#[allow(…)]`, `#![allow(…)]` and `#[cfg_attr(…, allow(…))]`, on one
/// line or spread over several by rustfmt, wherever they stand (an attribute on a tuple field
/// included). Comments and string literals are skipped, so `allow` in a doc example, in a string or
/// in a call such as `store::allow(…)` is not an attribute.
fn allows_without_reason(text: &str) -> Vec<usize> {
    let tokens = tokenize(text);
    let mut lines = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        let is_attribute_start = tokens[index].token == Token::Punct('#')
            && match tokens.get(index + 1).map(|spanned| &spanned.token) {
                Some(Token::Punct('[')) => true,
                Some(Token::Punct('!')) => {
                    tokens.get(index + 2).is_some_and(|spanned| spanned.token == Token::Punct('['))
                }
                _ => false,
            };
        if !is_attribute_start {
            index += 1;
            continue;
        }
        let open = if tokens[index + 1].token == Token::Punct('[') { index + 1 } else { index + 2 };
        let close = matching_close(&tokens, open);
        let attribute = &tokens[open + 1..close];
        if allow_groups(attribute).iter().any(|group| !has_reason(group)) {
            lines.push(tokens[index].line);
        }
        index = close + 1;
    }
    lines
}

/// The contents of every `allow(…)` group in an attribute's tokens.
fn allow_groups(attribute: &[Spanned]) -> Vec<&[Spanned]> {
    let mut groups = Vec::new();
    for (index, spanned) in attribute.iter().enumerate() {
        let opens_allow = spanned.token == Token::Ident("allow".to_owned())
            && attribute.get(index + 1).is_some_and(|next| next.token == Token::Punct('('));
        if opens_allow {
            let close = matching_close(attribute, index + 1);
            groups.push(&attribute[index + 2..close]);
        }
    }
    groups
}

/// Whether the contents of an `allow(…)` group hold `reason = "…"` with some text, at its top level.
fn has_reason(group: &[Spanned]) -> bool {
    let mut depth = 0usize;
    for (index, spanned) in group.iter().enumerate() {
        match &spanned.token {
            Token::Punct('(' | '[' | '{') => depth += 1,
            Token::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Token::Ident(name) if depth == 0 && name == "reason" => {
                let equals = group.get(index + 1).is_some_and(|next| next.token == Token::Punct('='));
                let text = match group.get(index + 2).map(|next| &next.token) {
                    Some(Token::Str(text)) => text,
                    _ => continue,
                };
                if equals && !text.trim().is_empty() {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// The index of the bracket that closes the one at `open` (or the last token if it is never closed).
fn matching_close(tokens: &[Spanned], open: usize) -> usize {
    let mut depth = 0usize;
    for (index, spanned) in tokens.iter().enumerate().skip(open) {
        match spanned.token {
            Token::Punct('(' | '[' | '{') => depth += 1,
            Token::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return index;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

/// A token of Rust source, as coarse as the `allow` check needs.
#[derive(Debug, PartialEq)]
enum Token {
    /// An identifier, keyword, lifetime name or number.
    Ident(String),
    /// A string literal's contents (plain, byte, C or raw), escapes left as written.
    Str(String),
    /// A character literal.
    Char,
    /// Any other character.
    Punct(char),
}

/// A token and the (1-based) line it starts on.
#[derive(Debug)]
struct Spanned {
    token: Token,
    line: usize,
}

/// Splits Rust source into [`Token`]s, dropping whitespace and comments (nested block comments
/// included).
fn tokenize(text: &str) -> Vec<Spanned> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut index = 0;
    while index < chars.len() {
        let start_line = line;
        let c = chars[index];
        let next = chars.get(index + 1).copied();
        if c == '\n' {
            line += 1;
            index += 1;
        } else if c.is_whitespace() {
            index += 1;
        } else if c == '/' && next == Some('/') {
            while index < chars.len() && chars[index] != '\n' {
                index += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0usize;
            while index < chars.len() {
                if chars[index] == '/' && chars.get(index + 1) == Some(&'*') {
                    depth += 1;
                    index += 2;
                } else if chars[index] == '*' && chars.get(index + 1) == Some(&'/') {
                    depth -= 1;
                    index += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(chars[index] == '\n');
                    index += 1;
                }
            }
        } else if c == '"' {
            let (contents, end) = quoted(&chars, index + 1, &mut line);
            tokens.push(Spanned { token: Token::Str(contents), line: start_line });
            index = end;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{7f}') or a lifetime ('a, which has no closing quote).
            if next == Some('\\') {
                index += 3;
                while index < chars.len() && chars[index] != '\'' {
                    index += 1;
                }
                index += 1;
                tokens.push(Spanned { token: Token::Char, line: start_line });
            } else if chars.get(index + 2) == Some(&'\'') {
                line += usize::from(next == Some('\n'));
                index += 3;
                tokens.push(Spanned { token: Token::Char, line: start_line });
            } else {
                index += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = index;
            while index < chars.len() && (chars[index].is_alphanumeric() || chars[index] == '_') {
                index += 1;
            }
            let word: String = chars[start..index].iter().collect();
            // A raw string: r"…", r#"…"#, br"…", cr#"…"# (and not a raw identifier such as r#type).
            let hashes = chars[index..].iter().take_while(|&&c| c == '#').count();
            if matches!(word.as_str(), "r" | "br" | "cr") && chars.get(index + hashes) == Some(&'"') {
                let body = index + hashes + 1;
                let mut end = body;
                loop {
                    if end >= chars.len() {
                        break;
                    }
                    let closes = chars[end] == '"'
                        && chars[end + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes;
                    if closes {
                        break;
                    }
                    line += usize::from(chars[end] == '\n');
                    end += 1;
                }
                let contents: String = chars[body..end.min(chars.len())].iter().collect();
                tokens.push(Spanned { token: Token::Str(contents), line: start_line });
                index = end + 1 + hashes;
            } else {
                tokens.push(Spanned { token: Token::Ident(word), line: start_line });
            }
        } else {
            tokens.push(Spanned { token: Token::Punct(c), line: start_line });
            index += 1;
        }
    }
    tokens
}

/// Reads a quoted string's contents from `start` (just after the opening quote) to the closing
/// quote, honouring backslash escapes; returns the contents and the index after the closing quote.
fn quoted(chars: &[char], start: usize, line: &mut usize) -> (String, usize) {
    let mut index = start;
    while index < chars.len() && chars[index] != '"' {
        if chars[index] == '\\' {
            index += 1;
        }
        if chars.get(index) == Some(&'\n') {
            *line += 1;
        }
        index += 1;
    }
    let contents = chars[start..index.min(chars.len())].iter().collect();
    (contents, index + 1)
}

// The checkers themselves, on small inline sources.

#[test]
fn a_file_that_opens_with_its_module_doc_passes() {
    assert_eq!(first_line_without_module_doc("//! What this file is for.\n\nfn f() {}\n"), None);
    assert_eq!(first_line_without_module_doc("\n\n  //! Blank lines may come first.\n"), None);
}

#[test]
fn an_inner_attribute_above_the_module_doc_is_refused() {
    let source = "#![allow(clippy::unwrap_used, reason = \"tests\")]\n//! The doc, too late.\n";
    assert_eq!(first_line_without_module_doc(source), Some(1));
}

#[test]
fn a_file_without_a_module_doc_is_refused_at_its_first_line() {
    assert_eq!(first_line_without_module_doc("\nuse std::fs;\n//! Not first.\n"), Some(2));
    assert_eq!(first_line_without_module_doc("// A plain comment is not a doc.\n"), Some(1));
    assert_eq!(first_line_without_module_doc("/// An outer doc documents the next item.\n"), Some(1));
    assert_eq!(first_line_without_module_doc("//!\n//! An empty first doc line.\n"), Some(1));
    assert_eq!(first_line_without_module_doc(""), Some(1));
}

#[test]
fn an_allow_without_a_reason_is_reported_at_its_line() {
    let source = "//! Doc.\n\n#[allow(dead_code)]\nfn f() {}\n";
    assert_eq!(allows_without_reason(source), vec![3]);
}

#[test]
fn an_allow_with_a_reason_passes() {
    let source = "//! Doc.\n#[allow(dead_code, reason = \"only the postgres build calls it\")]\nfn f() {}\n";
    assert_eq!(allows_without_reason(source), Vec::<usize>::new());
}

#[test]
fn an_empty_or_misplaced_reason_does_not_count() {
    assert_eq!(allows_without_reason("#[allow(dead_code, reason = \"  \")]\nfn f() {}\n"), vec![1]);
    // A `reason` of another attribute beside the allow says nothing about the allow.
    let beside = "#[cfg_attr(test, foo(reason = \"x\"), allow(dead_code))]\nfn f() {}\n";
    assert_eq!(allows_without_reason(beside), vec![1]);
}

#[test]
fn inner_and_cfg_attr_allows_need_a_reason_too() {
    let source = "#![allow(clippy::unwrap_used)]\n\
                  #[cfg_attr(not(feature = \"postgres\"), allow(dead_code))]\n\
                  #[cfg_attr(not(feature = \"postgres\"), allow(dead_code, reason = \"postgres only\"))]\n\
                  fn f() {}\n";
    assert_eq!(allows_without_reason(source), vec![1, 2]);
}

#[test]
fn an_allow_spread_over_several_lines_is_read_whole() {
    let with_reason = "#![allow(\n    clippy::unwrap_used,\n    reason = \"a test fails loudly\"\n)]\n";
    assert_eq!(allows_without_reason(with_reason), Vec::<usize>::new());
    let without = "fn f() {}\n#![allow(\n    clippy::unwrap_used,\n    clippy::expect_used,\n)]\n";
    assert_eq!(allows_without_reason(without), vec![2]);
}

#[test]
fn an_allow_inside_a_line_is_found() {
    let source = "enum E {\n    Directory(#[allow(dead_code)] String),\n}\n";
    assert_eq!(allows_without_reason(source), vec![2]);
}

#[test]
fn allow_in_comments_strings_and_calls_is_not_an_attribute() {
    let source = "//! `#[allow(dead_code)]` in a doc.\n\
                  /// #[allow(dead_code)]\n\
                  /* #[allow(dead_code)] /* nested */ #[allow(dead_code)] */\n\
                  const S: &str = \"#[allow(dead_code)] \\\" #[allow(dead_code)]\";\n\
                  const R: &str = r#\"#[allow(dead_code)] \" #[allow(dead_code)]\"#;\n\
                  const C: char = '#';\n\
                  fn f<'a>(x: &'a str) { store::allow(x); }\n";
    assert_eq!(allows_without_reason(source), Vec::<usize>::new());
}

#[test]
fn line_numbers_count_newlines_inside_literals_and_comments() {
    let source = "/* one\ntwo */\nconst S: &str = \"three\nfour\";\n#[allow(dead_code)]\nfn f() {}\n";
    assert_eq!(allows_without_reason(source), vec![5]);
}

#[test]
fn a_long_file_is_reported_unless_listed_and_a_listed_short_file_is_stale() {
    let lengths = vec![
        ("a.rs".to_owned(), MAX_LINES + 1),
        ("b.rs".to_owned(), MAX_LINES + 1),
        ("c.rs".to_owned(), MAX_LINES),
        ("d.rs".to_owned(), MAX_LINES + 1),
    ];
    let allowlist =
        [("b.rs", "split later"), ("c.rs", "split later"), ("d.rs", " "), ("gone.rs", "split later")];
    let problems = long_file_problems(&lengths, &allowlist);
    let over: Vec<&str> = problems.iter().filter(|p| !p.stale).map(|p| p.message.as_str()).collect();
    let stale: Vec<&str> = problems.iter().filter(|p| p.stale).map(|p| p.message.as_str()).collect();
    assert_eq!(over, vec![format!("a.rs: {} lines", MAX_LINES + 1)]);
    assert_eq!(
        stale,
        vec![
            format!("c.rs: listed, but it has {MAX_LINES} lines, within the limit of {MAX_LINES}"),
            "d.rs: listed without a reason".to_owned(),
            "gone.rs: listed, but there is no such file".to_owned(),
        ]
    );
}

#[test]
fn line_count_counts_a_last_line_without_a_newline() {
    assert_eq!(line_count("a\nb\n"), 2);
    assert_eq!(line_count("a\nb"), 2);
    assert_eq!(line_count(""), 0);
}
