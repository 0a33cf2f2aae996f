//! Comparing desired attributes with what exists, attribute by attribute.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::{Attrs, Driver};
use crate::stack::{Expr, Lookup};

/// The result of comparing one resource.
#[derive(Debug, Default, Clone)]
pub struct AttrDiff {
    /// Desired values that are known now.
    pub after: Attrs,
    /// Attributes only known once dependencies exist.
    pub unknown: Vec<String>,
    /// Attributes whose value changes (unknown ones that exist now included).
    pub changed: Vec<String>,
    /// The changed attributes that force a replacement.
    pub replace_paths: Vec<String>,
    /// Unknown map attributes whose other entries are known: shown key by
    /// key, so one unknown endpoint does not hide the rest of the map.
    pub partial: BTreeMap<String, Partial>,
}

/// The known entries of a map attribute, and the keys known after apply.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    pub known: serde_json::Map<String, Value>,
    pub unknown: Vec<String>,
}

fn partial(entries: &BTreeMap<String, Expr>, lookup: &dyn Lookup) -> Partial {
    let mut p = Partial::default();
    for (k, e) in entries {
        match e.resolve(lookup) {
            Some(v) => {
                p.known.insert(k.clone(), v);
            }
            None => p.unknown.push(k.clone()),
        }
    }
    p
}

/// Sorts the list attributes the driver compares as sets.
pub fn normalize(driver: &dyn Driver, attr: &str, v: &Value) -> Value {
    match v {
        Value::Array(items) if driver.schema().unordered.contains(&attr) => {
            let mut items = items.clone();
            items.sort_by_cached_key(canonical);
            items.dedup();
            Value::Array(items)
        }
        other => other.clone(),
    }
}

/// `v` as text with every object's keys in order, so two equal values give
/// the same text whatever order their keys were written in.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut entries: Vec<(&String, String)> =
                m.iter().map(|(k, v)| (k, canonical(v))).collect();
            entries.sort();
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k:?}:{v}"))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

/// Resolves `desired` with `lookup`; without `live`, everything is new.
pub fn compare(
    driver: &dyn Driver,
    desired: &BTreeMap<String, Expr>,
    lookup: &dyn Lookup,
    live: Option<&Attrs>,
) -> AttrDiff {
    let mut d = AttrDiff::default();
    for (k, e) in desired {
        match e.resolve(lookup) {
            Some(Value::Null) => {}
            Some(v) => {
                let v = normalize(driver, k, &v);
                if let Some(live) = live {
                    let current = live.get(k).map(|l| normalize(driver, k, l));
                    let same = current.as_ref().is_some_and(|c| driver.same(k, &v, c));
                    if !same {
                        d.changed.push(k.clone());
                    }
                }
                d.after.insert(k.clone(), v);
            }
            None => {
                if let Expr::Map(entries) = e {
                    d.partial.insert(k.clone(), partial(entries, lookup));
                }
                d.unknown.push(k.clone());
                if live.is_some() {
                    d.changed.push(k.clone());
                }
            }
        }
    }
    d.replace_paths = d
        .changed
        .iter()
        .filter(|c| {
            driver.forces_replacement(
                c,
                live.and_then(|l| l.get(c.as_str())),
                d.after.get(c.as_str()),
            )
        })
        .cloned()
        .collect();
    d
}
