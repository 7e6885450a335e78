//! anchor-core integration tests: the real app over real HTTP on loopback, and real databases.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

mod backends;
mod bodies;
mod errors;
mod metrics;
mod migrations;
mod mounting;
mod remote_toml;
mod stellar_toml;
mod support;
mod write_lock;
