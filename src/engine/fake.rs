//! An in-memory cloud and a typed driver over it, for the fast tests of
//! plan, apply, waiters and the typed boundary: no AWS, no emulator, no
//! network (Terraform's `MockProvider`, kube-rs's paused-time tests).
//!
//! Two kinds share the driver: `fake`, and `bound`, which cannot move away
//! from a `fake` it depends on (as a DB cluster and its VPC).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::events::{Events, Recorder};
use super::typed::{Advice, Found, Lifecycle, Live, Typed, Wanted};
use super::wait::{self, Poll};
use super::{Ctx, DriverError, Registry};
use crate::apply::{self, Checkpoints, Outcome};
use crate::model::{
    Attrs, Changed, Desired, E, Form, IN_PLACE, IN_PLACE_SET, Kind, Known, Partial, REPLACE, Tags,
    is_null,
};
use crate::plan::{self, Mode, Plan, PlanError};
use crate::settings::Pacing;
use crate::stack::{Address, Resource, Stack, TAG_ADDRESS, TAG_ENV, TAG_STACK};
use crate::state::memory::MemoryBackend;
use crate::state::{State, StateError, Store};

pub const STACK: &str = "s";
pub const ENV: &str = "dev";
pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

/// The fake kinds: `Fake<false>` is `fake`, `Fake<true>` is `bound`.
pub struct Fake<const BOUND: bool>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct FakeAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    /// Another resource's id.
    #[serde(skip_serializing_if = "is_null")]
    pub parent: F::Of<Option<String>>,
    /// Grows in place; shrinking replaces it.
    pub size: F::Of<i32>,
    pub items: F::Of<Vec<String>>,
    pub labels: F::Of<BTreeMap<String, String>>,
    pub tags: F::Of<Tags>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct FakeOut<F: Form = Known> {
    pub id: F::Of<String>,
    /// `CREATING`, `READY` or `FAILED`.
    #[serde(skip_serializing_if = "is_null")]
    pub state: F::Of<Option<String>>,
}

impl<const BOUND: bool> Kind for Fake<BOUND> {
    const NAME: &'static str = if BOUND { "bound" } else { "fake" };
    type Attrs<F: Form> = FakeAttrs<F>;
    type Outputs<F: Form> = FakeOut<F>;
    const CHANGES: FakeAttrs<crate::model::Rules> = FakeAttrs {
        name: REPLACE,
        parent: REPLACE,
        size: IN_PLACE,
        items: IN_PLACE_SET,
        labels: IN_PLACE,
        tags: IN_PLACE,
    };
    const BOUND_TO: &'static [&'static str] = if BOUND { &["fake"] } else { &[] };
    const DATA_LOST_ON_REPLACE: Option<&'static str> = Some("its data");

    fn replaces(
        attr: &str,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Option<bool> {
        (attr == "size")
            .then(|| after.and_then(serde_json::Value::as_i64) < before.and_then(|b| b.as_i64()))
    }
}

/// One object in the fake cloud.
#[derive(Debug, Clone)]
pub struct Obj {
    pub kind: &'static str,
    pub attrs: FakeAttrs,
    pub state: String,
    /// Polls before a creating object is ready.
    pub polls_left: u32,
}

/// What the fake cloud does wrong, by resource name.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    pub fail_create: BTreeSet<String>,
    pub panic_create: BTreeSet<String>,
    /// A create leaves the object CREATING for this many polls.
    pub pending_polls: u32,
    /// How long a create call takes.
    pub create_delay: Duration,
    pub protected: BTreeSet<String>,
    pub preflight_refused: BTreeSet<String>,
}

#[derive(Default)]
struct CloudInner {
    objects: BTreeMap<String, Obj>,
    next: u64,
    calls: Vec<String>,
    faults: Faults,
}

/// The fake cloud: objects by id, the calls made, the faults to inject.
#[derive(Default)]
pub struct Cloud {
    inner: Mutex<CloudInner>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Cloud {
    fn inner(&self) -> std::sync::MutexGuard<'_, CloudInner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.inner().faults);
    }

    /// Every call so far, e.g. `create a`, `update a size`, `delete b`.
    pub fn calls(&self) -> Vec<String> {
        self.inner().calls.clone()
    }

    pub fn clear_calls(&self) {
        self.inner().calls.clear();
    }

    /// Objects by id.
    pub fn objects(&self) -> BTreeMap<String, Obj> {
        self.inner().objects.clone()
    }

    /// The id of the object named `name`.
    pub fn id_of(&self, name: &str) -> Option<String> {
        self.inner()
            .objects
            .iter()
            .find(|(_, o)| o.attrs.name == name)
            .map(|(id, _)| id.clone())
    }

    /// Makes an object outside cdcstack; its id.
    pub fn put(&self, kind: &'static str, attrs: FakeAttrs, state: &str) -> String {
        let mut i = self.inner();
        i.next += 1;
        let id = format!("{kind}-{}", i.next);
        i.objects.insert(
            id.clone(),
            Obj {
                kind,
                attrs,
                state: state.into(),
                polls_left: 0,
            },
        );
        id
    }

    /// Changes an object outside cdcstack.
    pub fn edit(&self, id: &str, f: impl FnOnce(&mut Obj)) {
        if let Some(o) = self.inner().objects.get_mut(id) {
            f(o);
        }
    }

    pub fn remove(&self, id: &str) {
        self.inner().objects.remove(id);
    }

    /// The most creates that ran at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

pub struct FakeDriver<const BOUND: bool> {
    pub cloud: Arc<Cloud>,
}

fn live<const B: bool>(id: &str, o: &Obj) -> Live<Fake<B>> {
    let out = FakeOut {
        id: id.to_string(),
        state: Some(o.state.clone()),
    };
    let mut l = Live::ready(id, o.attrs.clone(), out);
    l.ready = o.state != "CREATING";
    l
}

#[async_trait]
impl<const B: bool> Lifecycle for FakeDriver<B> {
    type Kind = Fake<B>;

    async fn read(
        &self,
        ctx: &Ctx,
        wanted: &[Wanted<Fake<B>>],
    ) -> Result<Found<Fake<B>>, DriverError> {
        let kind = <Fake<B> as Kind>::NAME;
        let objects = self.cloud.objects();
        self.cloud.inner().calls.push(format!("read {kind}"));
        let mut found = Found::default();
        for (id, o) in objects.iter().filter(|(_, o)| o.kind == kind) {
            let t = &o.attrs.tags;
            if t.get(TAG_STACK) != Some(&ctx.stack) || t.get(TAG_ENV) != Some(&ctx.env) {
                continue;
            }
            let Some(address) = t.get(TAG_ADDRESS).map(|a| Address::from(a.as_str())) else {
                continue;
            };
            if wanted.iter().any(|w| w.address == address) {
                found.live.insert(address, live(id, o));
            } else {
                found.strays.push((address, live(id, o)));
            }
        }
        Ok(found)
    }

    async fn create(
        &self,
        _ctx: &Ctx,
        _address: &Address,
        d: &Attrs<Fake<B>>,
    ) -> Result<Live<Fake<B>>, DriverError> {
        let faults = {
            let mut i = self.cloud.inner();
            i.calls.push(format!("create {}", d.name));
            i.faults.clone()
        };
        let now = self.cloud.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.cloud.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(faults.create_delay).await;
        self.cloud.in_flight.fetch_sub(1, Ordering::SeqCst);
        assert!(
            !faults.panic_create.contains(&d.name),
            "injected panic creating {}",
            d.name
        );
        if faults.fail_create.contains(&d.name) {
            return Err(DriverError::Failed(format!(
                "injected failure creating {}",
                d.name
            )));
        }
        let pending = faults.pending_polls > 0;
        let state = if pending { "CREATING" } else { "READY" };
        let id = self.cloud.put(<Fake<B> as Kind>::NAME, d.clone(), state);
        self.cloud
            .edit(&id, |o| o.polls_left = faults.pending_polls);
        Ok(live(&id, &self.cloud.objects()[&id]))
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _address: &Address,
        live: &Live<Fake<B>>,
        d: &Attrs<Fake<B>>,
        changed: &Changed<Fake<B>>,
    ) -> Result<Live<Fake<B>>, DriverError> {
        let FakeAttrs {
            name: _,
            parent: _,
            size,
            items,
            labels,
            tags,
        } = *changed;
        let names: Vec<&str> = [
            ("size", size),
            ("items", items),
            ("labels", labels),
            ("tags", tags),
        ]
        .iter()
        .filter(|(_, c)| *c)
        .map(|(n, _)| *n)
        .collect();
        self.cloud
            .inner()
            .calls
            .push(format!("update {} {}", d.name, names.join(",")));
        self.cloud.edit(&live.id, |o| o.attrs = d.clone());
        Ok(live.updated(d))
    }

    async fn delete(
        &self,
        _ctx: &Ctx,
        _address: &Address,
        live: &Live<Fake<B>>,
    ) -> Result<(), DriverError> {
        self.cloud
            .inner()
            .calls
            .push(format!("delete {}", live.attrs.name));
        self.cloud.remove(&live.id);
        Ok(())
    }

    async fn wait(
        &self,
        ctx: &Ctx,
        _address: &Address,
        l: &Live<Fake<B>>,
    ) -> Result<Live<Fake<B>>, DriverError> {
        let id = l.id.clone();
        wait::until(
            ctx,
            &format!("{id} to be ready"),
            Duration::from_secs(3600),
            || {
                let cloud = self.cloud.clone();
                let id = id.clone();
                async move {
                    let mut done = None;
                    cloud.edit(&id, |o| {
                        if o.polls_left == 0 {
                            o.state = "READY".into();
                            done = Some(o.clone());
                        } else {
                            o.polls_left -= 1;
                        }
                    });
                    Ok(match done {
                        Some(o) => Poll::Done(o),
                        None => Poll::Pending("CREATING".into()),
                    })
                }
            },
        )
        .await
        .map(|o| live(&l.id, &o))
    }

    async fn preflight(&self, _ctx: &Ctx, desired: &Partial<Fake<B>>) -> Result<(), String> {
        let refused = self.cloud.inner().faults.preflight_refused.clone();
        match &desired.name {
            Some(n) if refused.contains(n) => Err(format!("{n} cannot be built")),
            _ => Ok(()),
        }
    }
}

impl<const B: bool> Advice for FakeDriver<B> {
    fn broken(&self, live: &Live<Fake<B>>) -> Option<String> {
        (live.out.state.as_deref() == Some("FAILED")).then(|| "it FAILED".into())
    }

    fn delete_blocker(&self, live: &Live<Fake<B>>) -> Option<String> {
        let protected = self.cloud.inner().faults.protected.clone();
        protected
            .contains(&live.attrs.name)
            .then(|| format!("{} is protected", live.attrs.name))
    }

    fn notes(
        &self,
        desired: &Partial<Fake<B>>,
        live: Option<&Live<Fake<B>>>,
        changed: &Changed<Fake<B>>,
    ) -> Vec<String> {
        match (live, desired.size) {
            (Some(l), Some(size)) if changed.size => {
                vec![format!("size {} → {size}", l.attrs.size)]
            }
            _ => vec![],
        }
    }

    fn after_apply_notes(&self, desired: &Attrs<Fake<B>>, _live: &Live<Fake<B>>) -> Vec<String> {
        desired
            .labels
            .get("manual")
            .map(|m| vec![format!("do by hand: {m}")])
            .unwrap_or_default()
    }
}

/// The ownership tags of `address` in the test environment.
pub fn tags(address: &str) -> Tags {
    [
        (TAG_STACK, STACK),
        (TAG_ENV, ENV),
        (TAG_ADDRESS, address),
        ("Name", address),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A desired `fake` named `name` at `address`, size 1, nothing else.
pub fn thing(address: &str, name: &str) -> FakeAttrs<Desired> {
    FakeAttrs {
        name: name.into(),
        parent: None::<&str>.into(),
        size: 1.into(),
        items: E::lit(vec![]),
        labels: E::lit(BTreeMap::new()),
        tags: E::lit(tags(address)),
    }
}

/// `thing` as it exists in the cloud.
pub fn known(address: &str, name: &str) -> FakeAttrs {
    FakeAttrs {
        name: name.into(),
        parent: None,
        size: 1,
        items: vec![],
        labels: BTreeMap::new(),
        tags: tags(address),
    }
}

/// A resource of kind `fake` (or `bound`, with `BOUND`).
pub fn resource<const BOUND: bool>(address: &str, attrs: FakeAttrs<Desired>) -> Resource {
    Resource::new::<Fake<BOUND>>(address.into(), &attrs, &[])
}

/// A stack of these resources.
pub fn stack(resources: Vec<Resource>) -> Stack {
    Stack {
        resources: resources
            .into_iter()
            .map(|r| (r.address.clone(), r))
            .collect(),
        outputs: vec![],
    }
}

/// The fake cloud, its registry, an in-memory state and a recorder of events.
pub struct World {
    pub cloud: Arc<Cloud>,
    pub registry: Registry,
    pub backend: Arc<MemoryBackend>,
    pub events: Arc<Recorder>,
    pub cancel: CancellationToken,
}

impl Default for World {
    fn default() -> Self {
        let cloud = Arc::new(Cloud::default());
        let mut registry = Registry::new();
        registry.insert(
            "fake",
            Arc::new(Typed::new(FakeDriver::<false> {
                cloud: cloud.clone(),
            })) as _,
        );
        registry.insert(
            "bound",
            Arc::new(Typed::new(FakeDriver::<true> {
                cloud: cloud.clone(),
            })) as _,
        );
        World {
            cloud,
            registry,
            backend: Arc::default(),
            events: Arc::default(),
            cancel: CancellationToken::new(),
        }
    }
}

impl World {
    pub fn ctx(&self) -> Ctx {
        Ctx {
            stack: STACK.into(),
            env: ENV.into(),
            region: REGION.into(),
            account_id: ACCOUNT.into(),
            cancel: self.cancel.clone(),
            pacing: Pacing {
                min: Duration::from_millis(10),
                max: Duration::from_millis(100),
            },
            events: self.events.clone() as Events,
            scope: None,
        }
    }

    pub async fn store(&self) -> Store {
        Store::load(self.backend.clone())
            .await
            .expect("the state loads")
    }

    pub async fn state(&self) -> State {
        self.store().await.state
    }

    /// A plan of `stack` against the state and the cloud.
    pub async fn plan(&self, stack: &Stack, mode: Mode) -> Result<Plan, PlanError> {
        self.plan_targets(stack, mode, &[]).await
    }

    pub async fn plan_targets(
        &self,
        stack: &Stack,
        mode: Mode,
        targets: &[String],
    ) -> Result<Plan, PlanError> {
        let store = self.store().await;
        plan::make(
            &self.ctx(),
            &self.registry,
            plan::Inputs {
                stack,
                state: &store.state,
                state_exists: !store.is_new(),
                env: ENV,
                config_digest: "digest",
                mode,
                targets,
            },
        )
        .await
    }

    /// Carries `plan` out with `parallelism`.
    pub async fn apply(
        &self,
        stack: &Stack,
        plan: &Plan,
        parallelism: usize,
    ) -> Result<Outcome, StateError> {
        let cp = Arc::new(Checkpoints::new(self.store().await));
        apply::run(&self.ctx(), &self.registry, plan, stack, cp, parallelism).await
    }

    /// Plans and applies `stack`; the plan and what happened.
    pub async fn converge(&self, stack: &Stack) -> (Plan, Outcome) {
        let plan = self.plan(stack, Mode::Normal).await.expect("a plan");
        let outcome = self.apply(stack, &plan, 10).await.expect("an apply");
        (plan, outcome)
    }
}
