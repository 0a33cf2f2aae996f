//! The state document: what cdcstack created, with ids and attributes, as
//! one JSON object. No secret value is ever part of it (attributes hold
//! secret ARNs only; see [`crate::secret::Secret`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::stack::Address;

/// The newest `format_version` this binary reads and writes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format_version: u32,
    /// Fixed when the state is first written; identifies its history.
    pub lineage: String,
    /// Bumped by every write.
    pub serial: u64,
    pub cdcstack_version: String,
    /// The AWS account the resources live in (refuses to plan against another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The stack and environment it describes: a file whose backend key was
    /// copied from another environment must not take that one's resources over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The region its resources live in (`stack.region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub resources: BTreeMap<Address, ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    pub kind: String,
    /// The AWS id (VPC id, ARN, name — whatever the kind is read back by).
    pub id: String,
    /// Every attribute last read or written, including outputs (ARNs, endpoints).
    pub attributes: serde_json::Map<String, Value>,
    pub depends_on: Vec<Address>,
}

impl State {
    /// A new, empty state with a fresh lineage.
    pub fn new() -> Self {
        State {
            format_version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            cdcstack_version: env!("CARGO_PKG_VERSION").to_string(),
            account_id: None,
            stack: None,
            environment: None,
            region: None,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }

    /// Parses a state document.
    ///
    /// # Errors
    /// A sentence saying why the document cannot be used.
    pub fn parse(bytes: &[u8]) -> Result<State, String> {
        let v: Value =
            serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON ({e})"))?;
        let version = match v.get("format_version") {
            None => return Err("it has no `format_version`".into()),
            Some(f) => f
                .as_u64()
                .ok_or_else(|| format!("its `format_version` is {f}, not a whole number"))?,
        };
        if version > u64::from(FORMAT_VERSION) {
            return Err(format!(
                "its format_version {version} is newer than this cdcstack ({}) understands (up to {FORMAT_VERSION}); upgrade cdcstack",
                env!("CARGO_PKG_VERSION")
            ));
        }
        serde_json::from_value(v).map_err(|e| format!("it does not have the state's shape ({e})"))
    }

    /// The document as written: pretty JSON, keys in a stable order.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).expect("state serialises");
        b.push(b'\n');
        b
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_newer_or_broken_documents() {
        let mut s = State::new();
        s.serial = 3;
        s.resources.insert(
            "network.vpc".into(),
            ResourceState {
                kind: "vpc".into(),
                id: "vpc-1".into(),
                attributes: serde_json::Map::new(),
                depends_on: vec![],
            },
        );
        assert_eq!(State::parse(&s.to_bytes()).unwrap(), s);
        assert!(
            State::parse(b"{nope")
                .unwrap_err()
                .contains("not valid JSON")
        );
        let newer = String::from_utf8(s.to_bytes())
            .unwrap()
            .replace("\"format_version\": 1", "\"format_version\": 99");
        assert!(
            State::parse(newer.as_bytes())
                .unwrap_err()
                .contains("newer")
        );
    }
}
