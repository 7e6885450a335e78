//! The compliance officer's console: server-rendered pages on the internal listener under
//! `/admin/`, behind a sign-in for named officers.
//!
//! WORK IN PROGRESS (skeleton).

use actix_web::web;

use crate::monitor::AmlMonitor;

/// Mounts the officer console under `/admin/` on an internal listener's `App`.
pub fn mount_console(cfg: &mut web::ServiceConfig, monitor: AmlMonitor) {
    let _ = (cfg, monitor);
}
