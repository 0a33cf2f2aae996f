//! Helpers the drivers of named (non-EC2) resources share: tags as maps,
//! the ownership check, attribute access.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::engine::{Attrs, Ctx, DriverError};
use crate::model::Tags;
use crate::stack::{Address, TAG_ENV, TAG_STACK};

/// Tags as the `tags` attribute (a JSON object).
pub fn tags_value<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    Value::Object(
        tags.into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect(),
    )
}

pub fn hashmap_tags(tags: Option<&HashMap<String, String>>) -> Value {
    tags_value(
        tags.into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

/// The desired tags as a map.
pub fn desired_tags(d: &Attrs) -> BTreeMap<String, String> {
    d.get("tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// Tags to set and keys to remove, to go from `before` to `desired`.
pub fn tag_delta(before: &Attrs, desired: &Attrs) -> (BTreeMap<String, String>, Vec<String>) {
    let old = desired_tags(before);
    let new = desired_tags(desired);
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let gone = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    (set, gone)
}

/// A named resource that exists must carry this environment's ownership
/// tags; otherwise it belongs to something else and is never adopted.
pub fn check_owned(
    ctx: &Ctx,
    address: &Address,
    what: &str,
    name: &str,
    tags: &Value,
) -> Result<(), DriverError> {
    let get = |k: &str| tags.get(k).and_then(Value::as_str);
    if get(TAG_STACK) == Some(ctx.stack.as_str()) && get(TAG_ENV) == Some(ctx.env.as_str()) {
        return Ok(());
    }
    Err(DriverError::Failed(format!(
        "{address}: {what} `{name}` already exists but is not managed by this environment (its tags lack {TAG_STACK}={} and {TAG_ENV}={}). \
         Give ours another name in the env file, delete the existing one, or add those two tags to it to let cdcstack adopt it",
        ctx.stack, ctx.env
    )))
}

pub fn s(d: &Attrs, k: &str) -> String {
    d.get(k)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub fn b(d: &Attrs, k: &str) -> bool {
    d.get(k).and_then(Value::as_bool).unwrap_or(false)
}

pub fn i(d: &Attrs, k: &str) -> i64 {
    d.get(k).and_then(Value::as_i64).unwrap_or_default()
}

pub fn strs(d: &Attrs, k: &str) -> Vec<String> {
    d.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A string map attribute (server properties, connector configuration).
pub fn string_map(d: &Attrs, k: &str) -> BTreeMap<String, String> {
    d.get(k)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect::<Map<_, _>>(),
    )
}

/// `key=value` lines, sorted (Kafka properties files).
pub fn properties_text(m: &BTreeMap<String, String>) -> String {
    m.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

/// Parses a properties file: `key=value` lines, `#` comments.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let (k, v) = l.split_once('=').or_else(|| l.split_once(':'))?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Whether two IAM policy documents mean the same (AWS reorders keys and
/// may collapse one-element lists).
pub fn same_policy(a: &Value, b: &Value) -> bool {
    let parse = |v: &Value| match v {
        Value::String(s) => serde_json::from_str::<Value>(s).ok().map(normalize_policy),
        other => Some(normalize_policy(other.clone())),
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn normalize_policy(v: Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.into_iter().map(normalize_policy).collect();
            if items.len() == 1 {
                return items.pop().expect("one element");
            }
            items.sort_by_key(ToString::to_string);
            Value::Array(items)
        }
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, normalize_policy(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Tags from key/value pairs.
pub fn tag_map<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Tags {
    tags.into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Tags from a service's map (MSK, MSK Connect, CloudWatch Logs).
pub fn tags_of_map(tags: Option<&HashMap<String, String>>) -> Tags {
    tags.into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Tags to set and keys to remove, to go from `before` to `after`.
pub fn delta(before: &Tags, after: &Tags) -> (Tags, Vec<String>) {
    let set = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let gone = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .cloned()
        .collect();
    (set, gone)
}

/// True when `tags` carry this environment's ownership tags.
pub fn ours(ctx: &Ctx, tags: &Tags) -> bool {
    tags.get(TAG_STACK) == Some(&ctx.stack) && tags.get(TAG_ENV) == Some(&ctx.env)
}

/// A named resource that exists must carry this environment's ownership
/// tags; otherwise it belongs to something else and is never adopted.
///
/// # Errors
/// What to do about the name clash, naming `address` and `name`.
pub fn owned(
    ctx: &Ctx,
    address: &Address,
    what: &str,
    name: &str,
    tags: &Tags,
) -> Result<(), DriverError> {
    if ours(ctx, tags) {
        return Ok(());
    }
    Err(DriverError::Failed(format!(
        "{address}: {what} `{name}` already exists but is not managed by this environment (its tags lack {TAG_STACK}={} and {TAG_ENV}={}). \
         Give ours another name in the env file, delete the existing one, or add those two tags to it to let cdcstack adopt it",
        ctx.stack, ctx.env
    )))
}

/// A builder's missing required field, as a driver error.
pub fn built<T>(
    r: Result<T, aws_smithy_types::error::operation::BuildError>,
    what: &str,
) -> Result<T, DriverError> {
    r.map_err(|e| DriverError::Failed(format!("building {what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_by_meaning() {
        let a = serde_json::json!(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#
        );
        let b = serde_json::json!(
            r#"{"Statement":{"Resource":["*"],"Action":"s3:GetObject","Effect":"Allow"},"Version":"2012-10-17"}"#
        );
        assert!(same_policy(&a, &b));
        let c = serde_json::json!(
            r#"{"Statement":{"Resource":["*"],"Action":"s3:PutObject","Effect":"Allow"},"Version":"2012-10-17"}"#
        );
        assert!(!same_policy(&a, &c));
    }

    #[test]
    fn properties_round_trip() {
        let m = BTreeMap::from([
            ("a.b".to_string(), "1".to_string()),
            ("c".to_string(), "x=y".to_string()),
        ]);
        assert_eq!(parse_properties(&properties_text(&m)), m);
    }
}
