//! Resource addresses: stable names like `network.subnet.private[1]`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The stable address of one resource in the stack (its key in state).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Address(String);

impl Address {
    /// `base[i]`.
    pub fn indexed(base: &str, i: usize) -> Self {
        Address(format!("{base}[{i}]"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first segment: `network`, `aurora`, `msk`, `connector` or `redshift`.
    pub fn tier(&self) -> &str {
        self.0.split('.').next().unwrap_or("")
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Address {
    fn from(s: &str) -> Self {
        Address(s.to_string())
    }
}

impl std::borrow::Borrow<str> for Address {
    fn borrow(&self) -> &str {
        &self.0
    }
}
