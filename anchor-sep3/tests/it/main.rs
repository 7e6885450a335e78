//! anchor-sep3 integration tests: real anchors over real HTTP on loopback.

mod bodies;
mod callbacks;
mod federation;
mod flow;
mod logs;
mod rejections;
mod sdf_binary;
mod support;
