//! Helpers the drivers share: tags as maps and their changes, the
//! ownership check, Kafka properties files.

use std::collections::{BTreeMap, HashMap};

use crate::engine::{Ctx, DriverError};
use crate::model::Tags;
use crate::stack::{Address, TAG_ENV, TAG_STACK};

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
    fn properties_round_trip() {
        let m = BTreeMap::from([
            ("a.b".to_string(), "1".to_string()),
            ("c".to_string(), "x=y".to_string()),
        ]);
        assert_eq!(parse_properties(&properties_text(&m)), m);
    }
}
