//! The boundary between the engine's JSON (what state and plans hold) and
//! a kind's typed structs: drivers implement [`Lifecycle`] and [`Advice`]
//! over their [`Kind`]'s structs, and [`Typed`] turns that into the
//! engine's [`Driver`], converting once on the way in and once on the way
//! out. A value that does not fit the structs (a missing or mistyped
//! attribute) is an error naming the kind and the attribute, never a
//! default.

use std::any::TypeId;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::driver::{self, Ctx, Driver, DriverError, Schema};
use crate::model::{Attrs, Changed, Kind, Maybe, Outputs, Partial, Rule};
use crate::stack::Address;

/// One live object of kind `K`.
pub struct Live<K: Kind> {
    /// What the kind is read back by: an id, a name or an ARN.
    pub id: String,
    pub attrs: Attrs<K>,
    pub out: Outputs<K>,
    /// False while AWS is still creating or changing it; [`Lifecycle::wait`] finishes it.
    pub ready: bool,
}

// By hand: a derive would ask the kind's marker type to be `Clone` and `Debug`.
impl<K: Kind> Clone for Live<K> {
    fn clone(&self) -> Self {
        Live {
            id: self.id.clone(),
            attrs: self.attrs.clone(),
            out: self.out.clone(),
            ready: self.ready,
        }
    }
}

impl<K: Kind> std::fmt::Debug for Live<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(K::NAME)
            .field("id", &self.id)
            .field("attrs", &self.attrs)
            .field("out", &self.out)
            .field("ready", &self.ready)
            .finish()
    }
}

impl<K: Kind> Live<K> {
    pub fn ready(id: impl Into<String>, attrs: Attrs<K>, out: Outputs<K>) -> Self {
        Live {
            id: id.into(),
            attrs,
            out,
            ready: true,
        }
    }

    pub fn pending(id: impl Into<String>, attrs: Attrs<K>, out: Outputs<K>) -> Self {
        Live {
            ready: false,
            ..Live::ready(id, attrs, out)
        }
    }

    /// This object after an in-place update to `desired`: ready, with the
    /// desired attributes and the outputs it had.
    pub fn updated(&self, desired: &Attrs<K>) -> Self {
        Live::ready(self.id.clone(), desired.clone(), self.out.clone())
    }

    /// The same object, ready.
    pub fn done(self) -> Self {
        Live {
            ready: true,
            ..self
        }
    }
}

/// A resource of kind `K` the engine wants read.
pub struct Wanted<K: Kind> {
    pub address: Address,
    /// The id recorded in state, when there is one.
    pub id: Option<String>,
    /// What is known before reading: the state's record first (a renamed
    /// resource is read under its old name), the desired literals after.
    pub known: Partial<K>,
    /// The outputs the state recorded.
    pub known_out: K::Outputs<Maybe>,
    /// The state's whole record, when there is one this cdcstack can read.
    pub recorded: Option<Live<K>>,
}

/// What a batch read of kind `K` found.
pub struct Found<K: Kind> {
    pub live: BTreeMap<Address, Live<K>>,
    /// Objects carrying this env's ownership tags at no wanted address.
    pub strays: Vec<(Address, Live<K>)>,
}

impl<K: Kind> Default for Found<K> {
    fn default() -> Self {
        Found {
            live: BTreeMap::new(),
            strays: Vec::new(),
        }
    }
}

/// What a kind's driver does with AWS.
#[async_trait]
pub trait Lifecycle: Send + Sync + 'static {
    type Kind: Kind;

    /// Reads every wanted resource of this kind in as few calls as possible,
    /// finding them by state id, ownership tags or name.
    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Self::Kind>],
    ) -> Result<Found<Self::Kind>, DriverError>;

    /// Creates the resource. May return before it is ready.
    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        desired: &Attrs<Self::Kind>,
    ) -> Result<Live<Self::Kind>, DriverError>;

    /// Changes the `changed` attributes in place (every one the schema
    /// says changes in place). May return before it is ready.
    async fn update(
        &self,
        ctx: &Ctx,
        address: &Address,
        live: &Live<Self::Kind>,
        desired: &Attrs<Self::Kind>,
        changed: &Changed<Self::Kind>,
    ) -> Result<Live<Self::Kind>, DriverError>;

    /// Deletes it and waits until it is gone (a no-op when already gone).
    async fn delete(
        &self,
        ctx: &Ctx,
        address: &Address,
        live: &Live<Self::Kind>,
    ) -> Result<(), DriverError>;

    /// Waits until a resource that is not ready is, and reads its outputs.
    async fn wait(
        &self,
        _ctx: &Ctx,
        _address: &Address,
        live: &Live<Self::Kind>,
    ) -> Result<Live<Self::Kind>, DriverError> {
        Ok(live.clone().done())
    }

    /// Checks, at plan time, that a resource about to be created can be
    /// (an input it reads from elsewhere exists). `Err` is the problem and
    /// what to do, for the user.
    async fn preflight(&self, _ctx: &Ctx, _desired: &Partial<Self::Kind>) -> Result<(), String> {
        Ok(())
    }
}

/// What a kind's driver tells the user and the plan.
pub trait Advice: Lifecycle {
    /// A live object that cannot be repaired (e.g. a FAILED connector): the
    /// reason, and the plan replaces it.
    fn broken(&self, _live: &Live<Self::Kind>) -> Option<String> {
        None
    }

    /// Why this live object must not be deleted (e.g. deletion protection).
    fn delete_blocker(&self, _live: &Live<Self::Kind>) -> Option<String> {
        None
    }

    /// How the plan's changes will be carried out (pending reboots, the
    /// route an update takes).
    fn notes(
        &self,
        _desired: &Partial<Self::Kind>,
        _live: Option<&Live<Self::Kind>>,
        _changed: &Changed<Self::Kind>,
    ) -> Vec<String> {
        Vec::new()
    }

    /// What to tell the user once it was created or updated (manual steps).
    fn after_apply_notes(
        &self,
        _desired: &Attrs<Self::Kind>,
        _live: &Live<Self::Kind>,
    ) -> Vec<String> {
        Vec::new()
    }
}

/// Reads `value` as a `T`, naming the kind and the attribute that does not fit.
fn decode<T: DeserializeOwned>(
    kind: &'static str,
    what: &'static str,
    value: Value,
) -> Result<T, DriverError> {
    serde_path_to_error::deserialize(value).map_err(|e| DriverError::Model {
        kind,
        what,
        error: e.to_string(),
    })
}

/// `value` as a JSON object, without the members that are not set.
fn encode(value: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(value).expect("typed attributes serialise") {
        Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    }
}

/// The schema of `K` as the engine reads it, made once per kind.
pub fn schema<K: Kind>() -> &'static Schema {
    static CACHE: OnceLock<Mutex<HashMap<TypeId, &'static Schema>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache.entry(TypeId::of::<K>()).or_insert_with(|| {
        let rules: BTreeMap<String, Rule> =
            serde_json::from_value(serde_json::to_value(&K::CHANGES).expect("rules serialise"))
                .expect("every field of a Rules form is a Rule");
        // Field names are static in the structs; serde hands them out as
        // strings, so each kind's are kept for the life of the process.
        let names: BTreeMap<&'static str, Rule> = rules
            .into_iter()
            .map(|(k, r)| (&*Box::leak(k.into_boxed_str()), r))
            .collect();
        let pick = |keep: fn(&Rule) -> bool| -> Vec<&'static str> {
            names
                .iter()
                .filter(|(_, r)| keep(r))
                .map(|(k, _)| *k)
                .collect()
        };
        Box::leak(Box::new(Schema {
            kind: K::NAME,
            attributes: names.keys().copied().collect(),
            force_new: pick(|r| !r.in_place),
            unordered: pick(|r| r.unordered),
            volatile: K::VOLATILE,
            bound_to: K::BOUND_TO,
            data_lost_on_replace: K::DATA_LOST_ON_REPLACE,
        }))
    })
}

/// A typed driver as the engine's [`Driver`].
pub struct Typed<D> {
    driver: D,
    schema: &'static Schema,
}

impl<D: Lifecycle> Typed<D> {
    pub fn new(driver: D) -> Self {
        Typed {
            driver,
            schema: schema::<D::Kind>(),
        }
    }

    fn live_in(&self, live: &driver::Live) -> Result<Live<D::Kind>, DriverError> {
        let json = Value::Object(live.attrs.clone());
        Ok(Live {
            id: live.id.clone(),
            attrs: decode(D::Kind::NAME, "attributes", json.clone())?,
            out: decode(D::Kind::NAME, "outputs", json)?,
            ready: live.ready,
        })
    }

    fn live_out(live: Live<D::Kind>) -> driver::Live {
        let mut attrs = encode(&live.attrs);
        attrs.extend(encode(&live.out));
        driver::Live {
            id: live.id,
            attrs,
            ready: live.ready,
        }
    }

    fn attrs_in(&self, attrs: &driver::Attrs) -> Result<Attrs<D::Kind>, DriverError> {
        decode(D::Kind::NAME, "attributes", Value::Object(attrs.clone()))
    }

    fn partial_in(&self, attrs: &driver::Attrs) -> Result<Partial<D::Kind>, DriverError> {
        decode(D::Kind::NAME, "attributes", Value::Object(attrs.clone()))
    }

    fn changed_in(&self, changed: &[String]) -> Result<Changed<D::Kind>, DriverError> {
        let flags: Map<String, Value> = self
            .schema
            .attributes
            .iter()
            .map(|a| (a.to_string(), Value::Bool(changed.iter().any(|c| c == a))))
            .collect();
        decode(D::Kind::NAME, "changed attributes", Value::Object(flags))
    }

    fn wanted_in(&self, w: &driver::Wanted) -> Result<Wanted<D::Kind>, DriverError> {
        let json = Value::Object(w.known.clone());
        let recorded = w.id.as_ref().and_then(|id| {
            Some(Live::ready(
                id.clone(),
                serde_json::from_value(json.clone()).ok()?,
                serde_json::from_value(json.clone()).ok()?,
            ))
        });
        Ok(Wanted {
            address: w.address.clone(),
            id: w.id.clone(),
            known: decode(D::Kind::NAME, "recorded attributes", json.clone())?,
            known_out: decode(D::Kind::NAME, "recorded outputs", json)?,
            recorded,
        })
    }

    /// A check on a live object that may not read as this kind: the reason
    /// it does not, so the plan stops rather than guesses.
    fn on_live(
        &self,
        live: &driver::Live,
        check: impl FnOnce(&Live<D::Kind>) -> Option<String>,
    ) -> Option<String> {
        match self.live_in(live) {
            Ok(l) => check(&l),
            Err(e) => Some(e.to_string()),
        }
    }
}

#[async_trait]
impl<D: Lifecycle + Advice> Driver for Typed<D> {
    fn schema(&self) -> &'static Schema {
        self.schema
    }

    fn forces_replacement(
        &self,
        attr: &str,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> bool {
        D::Kind::replaces(attr, before, after)
            .unwrap_or_else(|| self.schema.force_new.contains(&attr))
    }

    fn same(&self, attr: &str, desired: &Value, live: &Value) -> bool {
        D::Kind::same(attr, desired, live)
    }

    fn broken(&self, live: &driver::Live) -> Option<String> {
        self.on_live(live, |l| self.driver.broken(l))
    }

    fn delete_blocker(&self, live: &driver::Live) -> Option<String> {
        self.on_live(live, |l| self.driver.delete_blocker(l))
    }

    async fn preflight(&self, ctx: &Ctx, desired: &driver::Attrs) -> Result<(), String> {
        let d = self.partial_in(desired).map_err(|e| e.to_string())?;
        self.driver.preflight(ctx, &d).await
    }

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[driver::Wanted],
    ) -> Result<driver::Found, DriverError> {
        let wanted = wanted
            .iter()
            .map(|w| self.wanted_in(w))
            .collect::<Result<Vec<_>, _>>()?;
        let found = self.driver.read(ctx, &wanted).await?;
        Ok(driver::Found {
            live: found
                .live
                .into_iter()
                .map(|(a, l)| (a, Self::live_out(l)))
                .collect(),
            strays: found
                .strays
                .into_iter()
                .map(|(a, l)| (a, Self::live_out(l)))
                .collect(),
        })
    }

    async fn create(
        &self,
        ctx: &Ctx,
        address: &Address,
        desired: &driver::Attrs,
    ) -> Result<driver::Live, DriverError> {
        let d = self.attrs_in(desired)?;
        Ok(Self::live_out(self.driver.create(ctx, address, &d).await?))
    }

    async fn update(
        &self,
        ctx: &Ctx,
        address: &Address,
        live: &driver::Live,
        desired: &driver::Attrs,
        changed: &[String],
    ) -> Result<driver::Live, DriverError> {
        let (l, d, c) = (
            self.live_in(live)?,
            self.attrs_in(desired)?,
            self.changed_in(changed)?,
        );
        Ok(Self::live_out(
            self.driver.update(ctx, address, &l, &d, &c).await?,
        ))
    }

    async fn delete(
        &self,
        ctx: &Ctx,
        address: &Address,
        live: &driver::Live,
    ) -> Result<(), DriverError> {
        self.driver.delete(ctx, address, &self.live_in(live)?).await
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        address: &Address,
        live: &driver::Live,
    ) -> Result<driver::Live, DriverError> {
        let l = self.live_in(live)?;
        Ok(Self::live_out(self.driver.wait(ctx, address, &l).await?))
    }

    fn notes(
        &self,
        desired: &driver::Attrs,
        live: Option<&driver::Live>,
        changed: &[String],
    ) -> Vec<String> {
        let typed = (|| {
            let d = self.partial_in(desired)?;
            let l = live.map(|l| self.live_in(l)).transpose()?;
            let c = self.changed_in(changed)?;
            Ok::<_, DriverError>(self.driver.notes(&d, l.as_ref(), &c))
        })();
        typed.unwrap_or_else(|e| vec![e.to_string()])
    }

    fn after_apply_notes(&self, desired: &driver::Attrs, live: &driver::Live) -> Vec<String> {
        match (self.attrs_in(desired), self.live_in(live)) {
            (Ok(d), Ok(l)) => self.driver.after_apply_notes(&d, &l),
            (Err(e), _) | (_, Err(e)) => vec![e.to_string()],
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::fake::{Cloud, FakeDriver, World, known};

    fn typed() -> Typed<FakeDriver<false>> {
        Typed::new(FakeDriver {
            cloud: std::sync::Arc::new(Cloud::default()),
        })
    }

    fn json_live(attrs: Value) -> driver::Live {
        driver::Live {
            id: "fake-1".into(),
            attrs: attrs.as_object().unwrap().clone(),
            ready: true,
        }
    }

    #[test]
    fn the_schema_comes_from_the_kind_s_rules() {
        let s = typed().schema;
        assert_eq!(s.kind, "fake");
        assert_eq!(s.force_new, vec!["name", "parent"]);
        assert_eq!(s.unordered, vec!["items"]);
        assert_eq!(
            s.attributes,
            vec!["items", "labels", "name", "parent", "size", "tags"]
        );
        assert!(
            std::ptr::eq(s, schema::<crate::engine::fake::Fake<false>>()),
            "made once"
        );
    }

    #[tokio::test]
    async fn an_attribute_that_does_not_fit_is_named_with_its_kind() {
        let t = typed();
        let w = World::default();
        let missing =
            json_live(json!({"name": "a", "items": [], "labels": {}, "tags": {}, "id": "fake-1"}));
        let err = t
            .delete(&w.ctx(), &"t.a".into(), &missing)
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, DriverError::Model { kind: "fake", .. }),
            "{msg}"
        );
        assert!(msg.contains("missing field `size`"), "{msg}");

        let mistyped = json_live(
            json!({"name": "a", "size": "big", "items": [], "labels": {}, "tags": {}, "id": "x"}),
        );
        let msg = t
            .delete(&w.ctx(), &"t.a".into(), &mistyped)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("size: invalid type"),
            "the path names the key: {msg}"
        );
    }

    #[test]
    fn changed_names_become_flags_and_live_objects_become_one_json_map() {
        let t = typed();
        let c = t.changed_in(&["size".into(), "tags".into()]).unwrap();
        assert!(c.size && c.tags && !c.name && !c.items);
        let live: Live<crate::engine::fake::Fake<false>> = Live::ready(
            "fake-1",
            known("t.a", "a"),
            crate::engine::fake::FakeOut {
                id: "fake-1".into(),
                state: None,
            },
        );
        let json = Typed::<FakeDriver<false>>::live_out(live);
        assert_eq!(json.attrs["id"], "fake-1", "outputs beside attributes");
        assert_eq!(json.attrs["size"], 1);
        assert!(
            !json.attrs.contains_key("parent") && !json.attrs.contains_key("state"),
            "unset values are left out: {:?}",
            json.attrs
        );
        let back = t.live_in(&json).unwrap();
        assert_eq!(back.attrs, known("t.a", "a"));
    }

    #[test]
    fn a_wanted_resource_keeps_the_state_s_record_when_it_is_complete() {
        let t = typed();
        let mut known_json = serde_json::to_value(known("t.a", "a")).unwrap();
        known_json["id"] = "fake-1".into();
        let w = t
            .wanted_in(&driver::Wanted {
                address: "t.a".into(),
                id: Some("fake-1".into()),
                known: known_json.as_object().unwrap().clone(),
            })
            .unwrap();
        assert_eq!(w.known.name.as_deref(), Some("a"));
        assert_eq!(w.recorded.unwrap().out.id, "fake-1");
        let partial = t
            .wanted_in(&driver::Wanted {
                address: "t.a".into(),
                id: None,
                known: json!({"name": "a"}).as_object().unwrap().clone(),
            })
            .unwrap();
        assert!(partial.recorded.is_none() && partial.known.size.is_none());
    }
}
