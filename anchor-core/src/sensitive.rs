//! `Sensitive<T>`: a wrapper for secrets and personal data whose `Debug` and `Display` never show
//! the value, so that deriving `Debug` on a struct that holds one cannot leak it into a log line.

use std::fmt;

/// A value that must never appear in logs, `Debug` output or error messages.
///
/// Read it deliberately with [`Sensitive::expose`]; everything else prints `"[redacted]"`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// Reads the value. Call sites are easy to audit with `grep expose`.
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Sensitive(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests;
