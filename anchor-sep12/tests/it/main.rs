//! anchor-sep12 integration tests: the real app over real HTTP on loopback, on every database
//! backend the environment offers.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

mod bodies;
mod callbacks;
mod customer;
mod files;
mod memory;
mod settings;
mod support;
