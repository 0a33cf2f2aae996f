//! What the EC2 drivers share: ownership-tag filters (one describe call
//! finds every resource of a kind for this environment), tag conversion,
//! tag updates, and sorting found objects onto addresses.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use super::common;
use crate::aws::error::ApiResultExt;
use crate::aws::policy::{CREATE_UPDATE, Phase, Transient};
use crate::aws::{ApiError, Aws};
use crate::engine::typed::{Found, Live, Wanted};
use crate::engine::{Ctx, DriverError};
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

/// EC2's "does not exist yet" right after a create (eventual consistency).
pub fn not_found_yet(e: &ApiError) -> bool {
    e.code.as_deref().is_some_and(|c| c.ends_with(".NotFound"))
}

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
pub fn sort<K: Kind>(ctx: &Ctx, wanted: &[Wanted<K>], objects: Vec<(Tags, Live<K>)>) -> Found<K> {
    let by_addr: BTreeMap<&Address, &Wanted<K>> = wanted.iter().map(|w| (&w.address, w)).collect();
    let mut found = Found::default();
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
    objects: Vec<(Tags, Live<K>)>,
) -> Option<Live<K>> {
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
    wanted: &[Wanted<K>],
    id_filter: &str,
    describe: F,
    to_live: impl Fn(&T) -> (Tags, Live<K>),
) -> Result<Found<K>, DriverError>
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

/// An idempotency token (`ClientToken`) for one create: the SDK's retries
/// of that request reuse it, so a retried call never creates a second
/// resource. Fresh per create: EC2 remembers tokens, and a later
/// re-creation with the same one would be refused (or return the old
/// resource). A crashed run's resource is found again by its tags.
pub fn client_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// An EC2 boolean attribute value.
pub fn flag(v: Option<&aws_sdk_ec2::types::AttributeBooleanValue>) -> bool {
    v.and_then(|b| b.value()).unwrap_or(false)
}
