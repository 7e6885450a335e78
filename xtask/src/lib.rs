//! Repository-wide checks run as tests, in the style of rust-analyzer's `xtask` tidy test.
//!
//! The crate has no code of its own: `tests/tidy.rs` walks the whole repository and holds every
//! Rust source file to the repository's conventions (a leading `//!` module doc, a size limit, a
//! written reason on every `allow`). `cargo test -p xtask` runs them, and so does
//! `cargo test --workspace`.
