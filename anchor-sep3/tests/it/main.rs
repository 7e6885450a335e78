//! anchor-sep3 integration tests: real anchors over real HTTP on loopback.

mod bodies;
mod callbacks;
mod federation;
mod flow;
mod group_commit;
mod logs;
mod rejections;
mod sdf_binary;
mod support;
