//! anchor-sep10's integration tests: one binary, a module per concern. Every test talks to a real
//! server on loopback (the anchor, a Horizon stand-in, a wallet's stellar.toml server).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "in tests a panic is the failure report")]

mod bodies;
mod client_domain;
mod get;
mod interop;
mod lookups;
mod multisig;
mod post;
mod support;
mod token;
