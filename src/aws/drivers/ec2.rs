//! What the EC2 drivers share: ownership-tag filters (one describe call
//! finds every resource of a kind for this environment), tag conversion,
//! tag updates, and sorting found objects onto addresses.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use serde_json::{Map, Value};

use super::common;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{CREATE_UPDATE, Phase, Transient};
use crate::aws::{ApiError, Aws};
use crate::engine::{Attrs, Ctx, DriverError, Found, Live, Wanted, typed};
use crate::model::{Kind, Tags};
use crate::stack::{Address, TAG_ADDRESS, TAG_ENV, TAG_STACK};

/// Filters matching this environment's ownership tags.
pub fn owner_filters(ctx: &Ctx) -> Vec<Filter> {
    vec![
        Filter::builder()
            .name(format!("tag:{TAG_STACK}"))
            .values(&ctx.stack)
            .build(),
        Filter::builder()
            .name(format!("tag:{TAG_ENV}"))
            .values(&ctx.env)
            .build(),
    ]
}

pub fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// EC2 tags as the `tags` attribute.
pub fn tags_value(tags: &[Tag]) -> Value {
    Value::Object(
        tags.iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    Value::from(t.value().unwrap_or_default()),
                ))
            })
            .collect(),
    )
}

/// The address an object claims through its ownership tag.
pub fn address_tag(tags: &[Tag]) -> Option<Address> {
    tags.iter()
        .find(|t| t.key() == Some(TAG_ADDRESS))
        .and_then(|t| t.value())
        .map(Address::from)
}

fn desired_tags(desired: &Attrs) -> Vec<Tag> {
    desired
        .get("tags")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    Tag::builder()
                        .key(k)
                        .value(v.as_str().unwrap_or_default())
                        .build()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Tags applied atomically at creation, so a crash right after leaves an
/// object that the next read finds by its ownership tags.
pub fn tag_spec(kind: ResourceType, desired: &Attrs) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(desired_tags(desired)))
        .build()
}

/// Brings the tags of `id` from `before` to `desired` (create/overwrite, then delete).
pub async fn update_tags(
    ctx: &Ctx,
    id: &str,
    before: &Attrs,
    desired: &Attrs,
) -> Result<(), ApiError> {
    let empty = Map::new();
    let old = before
        .get("tags")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let new = desired
        .get("tags")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let set: Vec<Tag> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v.as_str().unwrap_or_default())
                .build()
        })
        .collect();
    let gone: Vec<Tag> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .map(|k| Tag::builder().key(k).build())
        .collect();
    let ec2 = ctx.aws.ec2();
    if !set.is_empty() {
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(set))
            .send()
            .await
            .api("ec2:CreateTags")?;
    }
    if !gone.is_empty() {
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(gone))
            .send()
            .await
            .api("ec2:DeleteTags")?;
    }
    Ok(())
}

/// The object a create collided with (made by a request of a run that died
/// before reading the answer), if it carries our ownership tags for
/// `address`: to adopt instead of failing.
pub fn collided(
    ctx: &Ctx,
    address: &Address,
    desired: &Attrs,
    objects: Vec<(Option<Address>, Live)>,
) -> Option<Live> {
    let wanted = [Wanted {
        address: address.clone(),
        id: None,
        known: desired.clone(),
    }];
    sort_found(ctx, &wanted, objects).live.remove(address)
}

/// Puts found objects on their addresses: one per wanted address (the one
/// the state knows, if several), every other object of ours a stray.
/// Objects without this environment's ownership tags are ignored, whatever
/// the describe call's filters let through.
pub fn sort_found(ctx: &Ctx, wanted: &[Wanted], objects: Vec<(Option<Address>, Live)>) -> Found {
    let by_addr: BTreeMap<&Address, &Wanted> = wanted.iter().map(|w| (&w.address, w)).collect();
    let mut found = Found::default();
    for (addr, live) in objects {
        let Some(addr) = addr else { continue };
        let tag = |k: &str| {
            live.attrs
                .get("tags")
                .and_then(|t| t.get(k))
                .and_then(Value::as_str)
        };
        if tag(TAG_STACK) != Some(ctx.stack.as_str()) || tag(TAG_ENV) != Some(ctx.env.as_str()) {
            continue;
        }
        match by_addr.get(&addr) {
            None => found.strays.push((addr, live)),
            Some(w) => match found.live.remove(&addr) {
                None => {
                    found.live.insert(addr, live);
                }
                Some(prev) => {
                    let (keep, stray) = if w.id.as_deref() == Some(live.id.as_str()) {
                        (live, prev)
                    } else {
                        (prev, live)
                    };
                    found.live.insert(addr.clone(), keep);
                    found.strays.push((addr, stray));
                }
            },
        }
    }
    found
}

/// Reads one kind: every object with this environment's ownership tags (one
/// describe call), then, for ids the state records that the tags did not
/// find (tags removed by hand, stack renamed), one describe by id — so an
/// object cdcstack made is never lost track of and left behind.
///
/// `describe` runs one (paginated) describe with the given filters.
///
/// # Errors
/// The describe's error.
pub async fn read_owned<T, F, Fut>(
    ctx: &Ctx,
    wanted: &[Wanted],
    id_filter: &str,
    describe: F,
    to_live: impl Fn(&T) -> (Option<Address>, Live),
) -> Result<Found, DriverError>
where
    F: Fn(Vec<Filter>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ApiError>>,
{
    let objects = describe(owner_filters(ctx)).await?;
    let mut found = sort_found(ctx, wanted, objects.iter().map(&to_live).collect());
    let missing: Vec<(&Address, &str)> = wanted
        .iter()
        .filter(|w| !found.live.contains_key(&w.address))
        .filter_map(|w| Some((&w.address, w.id.as_deref()?)))
        .collect();
    if !missing.is_empty() {
        let ids: Vec<&str> = missing.iter().map(|(_, id)| *id).collect();
        for o in describe(vec![filter(id_filter, &ids)]).await? {
            let (_, live) = to_live(&o);
            if let Some((address, _)) = missing.iter().find(|(_, id)| *id == live.id) {
                found.live.insert((*address).clone(), live);
            }
        }
    }
    Ok(found)
}

pub fn attr_str<'a>(desired: &'a Attrs, k: &str) -> &'a str {
    desired.get(k).and_then(Value::as_str).unwrap_or_default()
}

pub fn attr_strs(desired: &Attrs, k: &str) -> Vec<String> {
    desired
        .get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// EC2's "does not exist yet" right after a create (eventual consistency).
pub fn not_found_yet(e: &ApiError) -> bool {
    e.code.as_deref().is_some_and(|c| c.ends_with(".NotFound"))
}

/// A resource still in use (lingering ENIs, references, mapped addresses).
pub fn dependency_violation(e: &ApiError) -> bool {
    e.code_is("DependencyViolation")
}

// ---------------------------------------------------------------- typed

/// EC2 objects made a moment ago are not visible to the next call yet.
pub const NOT_VISIBLE_YET: Transient = Transient {
    during: CREATE_UPDATE,
    codes: &["*.NotFound"],
    messages: &[],
    patience: Duration::from_secs(120),
    why: "EC2 objects made a moment ago are not visible yet",
};

/// Refused while something still uses it: network interfaces of deleted
/// MSK brokers, connectors and workgroups linger for minutes.
pub const fn in_use(patience: Duration) -> Transient {
    Transient {
        during: &[Phase::Delete],
        codes: &["DependencyViolation"],
        messages: &[],
        patience,
        why: "still in use (network interfaces linger after their service is deleted)",
    }
}

/// EC2 tags as a map.
pub fn tag_set(tags: &[Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Tags applied atomically at creation, so a crash right after leaves an
/// object that the next read finds by its ownership tags.
pub fn spec(kind: ResourceType, tags: &Tags) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
        ))
        .build()
}

/// Brings the tags of `id` from `before` to `after` (create/overwrite, then delete).
///
/// # Errors
/// EC2's.
pub async fn retag(aws: &Aws, id: &str, before: &Tags, after: &Tags) -> Result<(), ApiError> {
    let (set, gone) = common::delta(before, after);
    let ec2 = aws.ec2();
    if !set.is_empty() {
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(
                set.iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .api("ec2:CreateTags")?;
    }
    if !gone.is_empty() {
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(
                gone.iter().map(|k| Tag::builder().key(k).build()).collect(),
            ))
            .send()
            .await
            .api("ec2:DeleteTags")?;
    }
    Ok(())
}

/// Puts found objects on their addresses: one per wanted address (the one
/// the state knows, if several), every other object of ours a stray.
/// Objects without this environment's ownership tags are ignored, whatever
/// the describe call's filters let through.
pub fn sort<K: Kind>(
    ctx: &Ctx,
    wanted: &[typed::Wanted<K>],
    objects: Vec<(Tags, typed::Live<K>)>,
) -> typed::Found<K> {
    let by_addr: BTreeMap<&Address, &typed::Wanted<K>> =
        wanted.iter().map(|w| (&w.address, w)).collect();
    let mut found = typed::Found::default();
    for (tags, live) in objects {
        if !common::ours(ctx, &tags) {
            continue;
        }
        let Some(addr) = tags.get(TAG_ADDRESS).map(|a| Address::from(a.as_str())) else {
            continue;
        };
        match by_addr.get(&addr) {
            None => found.strays.push((addr, live)),
            Some(w) => match found.live.remove(&addr) {
                None => {
                    found.live.insert(addr, live);
                }
                Some(prev) => {
                    let (keep, stray) = if w.id.as_deref() == Some(live.id.as_str()) {
                        (live, prev)
                    } else {
                        (prev, live)
                    };
                    found.live.insert(addr.clone(), keep);
                    found.strays.push((addr, stray));
                }
            },
        }
    }
    found
}

/// The object a create collided with (made by a request of a run that died
/// before reading the answer), if it carries our ownership tags for
/// `address`: to adopt instead of failing.
pub fn adoptable<K: Kind>(
    ctx: &Ctx,
    address: &Address,
    objects: Vec<(Tags, typed::Live<K>)>,
) -> Option<typed::Live<K>> {
    objects
        .into_iter()
        .filter(|(tags, _)| {
            common::ours(ctx, tags)
                && tags.get(TAG_ADDRESS).map(String::as_str) == Some(address.as_str())
        })
        .map(|(_, live)| live)
        .next()
}

/// Reads one kind: every object with this environment's ownership tags (one
/// describe call), then, for ids the state records that the tags did not
/// find (tags removed by hand, stack renamed), one describe by id — so an
/// object cdcstack made is never lost track of and left behind.
///
/// `describe` runs one (paginated) describe with the given filters.
///
/// # Errors
/// The describe's error.
pub async fn read<K: Kind, T, F, Fut>(
    ctx: &Ctx,
    wanted: &[typed::Wanted<K>],
    id_filter: &str,
    describe: F,
    to_live: impl Fn(&T) -> (Tags, typed::Live<K>),
) -> Result<typed::Found<K>, DriverError>
where
    F: Fn(Vec<Filter>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ApiError>>,
{
    let objects = describe(owner_filters(ctx)).await?;
    let mut found = sort(ctx, wanted, objects.iter().map(&to_live).collect());
    let missing: Vec<(&Address, &str)> = wanted
        .iter()
        .filter(|w| !found.live.contains_key(&w.address))
        .filter_map(|w| Some((&w.address, w.id.as_deref()?)))
        .collect();
    if !missing.is_empty() {
        let ids: Vec<&str> = missing.iter().map(|(_, id)| *id).collect();
        for o in describe(vec![filter(id_filter, &ids)]).await? {
            let (_, live) = to_live(&o);
            if let Some((address, _)) = missing.iter().find(|(_, id)| *id == live.id) {
                found.live.insert((*address).clone(), live);
            }
        }
    }
    Ok(found)
}

/// An EC2 boolean attribute value.
pub fn flag(v: Option<&aws_sdk_ec2::types::AttributeBooleanValue>) -> bool {
    v.and_then(|b| b.value()).unwrap_or(false)
}
