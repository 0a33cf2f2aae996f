//! Planning: desired stack vs state vs what exists → one action per
//! resource, with attribute-level before/after. Terraform's vocabulary:
//! no-op, create, update, replace (delete then create), delete.

pub mod diff;
pub mod file;
pub mod json;
pub mod render;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use diff::{compare, normalize};

use crate::engine::refresh::read_all;
use crate::engine::{Attrs, Ctx, DriverError, Live, Registry, Wanted};
use crate::stack::{Address, Expr, Lookup, Stack};
use crate::state::{ResourceState, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Normal,
    Destroy,
    RefreshOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Delete, then create (names are unique, so never the other way round).
    Replace,
    Delete,
}

impl Action {
    /// Terraform's JSON `actions` list.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::Replace => &["delete", "create"],
            Action::Delete => &["delete"],
        }
    }
}

/// Why an action was chosen, when it is not just the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Exists with this env's ownership tags (or name) but not in state: recorded, not recreated.
    Adopt,
    /// In state but deleted outside cdcstack: created again.
    DeletedOutside,
    /// In state but no longer in the environment file.
    NotInConfig,
    /// Carries this env's ownership tags but is neither desired nor in state.
    Stray,
    /// Replaced because an attribute that cannot change in place did.
    ReplaceBecauseCannotUpdate,
    /// Part of `destroy`.
    Destroy,
    /// Exists but cannot be repaired (e.g. FAILED): replaced.
    Broken,
    /// Changed outside cdcstack since the state recorded it (`--refresh-only`).
    Drift,
}

/// The plan for one resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub kind: String,
    pub action: Action,
    pub reason: Option<Reason>,
    /// The live object's attributes (or the state's, when it is gone).
    pub before: Option<Attrs>,
    /// The desired attributes known now.
    pub after: Option<Attrs>,
    pub unknown: Vec<String>,
    /// Unknown maps with some entries known (see `diff::Partial`).
    #[serde(default)]
    pub partial: BTreeMap<String, diff::Partial>,
    pub changed: Vec<String>,
    pub replace_paths: Vec<String>,
    /// The live object's id, for update and delete.
    pub live_id: Option<String>,
    /// Exists but AWS is still creating or changing it: apply waits for it.
    pub wait: bool,
    /// Not in state yet.
    pub adopt: bool,
    /// Desired attributes, with references, resolved again at apply time.
    pub desired: Option<BTreeMap<String, Expr>>,
    pub depends_on: Vec<Address>,
    /// Dependencies recorded in state (deletes run before these).
    pub prior_depends_on: Vec<Address>,
    pub notes: Vec<String>,
}

impl Change {
    /// True when apply would do anything for this resource.
    pub fn is_change(&self) -> bool {
        self.action != Action::NoOp || self.wait || self.adopt || self.reason == Some(Reason::Drift)
    }
}

/// A full plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub env: String,
    pub mode: Mode,
    /// SHA-256 of the environment file the plan was made from.
    pub config_digest: String,
    pub state_lineage: String,
    pub state_serial: u64,
    pub state_exists: bool,
    pub account_id: String,
    /// Creates and updates in dependency order, then deletes.
    pub changes: Vec<Change>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.changes {
            match c.action {
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace => {
                    s.add += 1;
                    s.destroy += 1;
                }
                Action::Delete => s.destroy += 1,
                Action::NoOp => {}
            }
        }
        s
    }

    /// True when apply would change AWS or the state.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(Change::is_change)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("reading the live {kind} resources failed")]
    Read {
        kind: String,
        #[source]
        error: DriverError,
    },
    #[error("the plan would delete resources that are protected:\n{}", .0.join("\n"))]
    Protected(Vec<String>),
    #[error("the plan cannot be carried out; nothing was changed:\n{}", .0.join("\n"))]
    Unbuildable(Vec<String>),
    #[error(
        "the state belongs to AWS account {state}, but the credentials are for account {current}; use the right profile (refusing to plan against another account)"
    )]
    WrongAccount { state: String, current: String },
    #[error(
        "the state belongs to environment `{state_env}` of stack `{state_stack}`, but this file is environment `{env}` of stack `{stack}`; was backend.key copied from another file? Give each environment its own backend.key (refusing to plan: it would take over or replace the other environment's resources). To rename a stack or environment, destroy it under its old name first"
    )]
    WrongEnvironment {
        state_stack: String,
        state_env: String,
        stack: String,
        env: String,
    },
    #[error(
        "the state's resources live in {state}, but stack.region is now {current}; cdcstack cannot move them (it would build a second copy in {current} and lose track of the first). Set stack.region back to {state}, or destroy the environment there first and then apply in {current}"
    )]
    WrongRegion { state: String, current: String },
}

/// Resources that would stay behind while what they are bound to (their
/// VPC) is replaced: AWS cannot move them, and the old one could never be
/// deleted under them. Refused up front instead.
fn stranded(stack: &Stack, registry: &Registry, changes: &[Change]) -> Vec<String> {
    let replaced: BTreeSet<&Address> = changes
        .iter()
        .filter(|c| c.action == Action::Replace)
        .map(|c| &c.address)
        .collect();
    let mut out = Vec::new();
    for c in changes {
        let moves = matches!(c.action, Action::Replace | Action::Create | Action::Delete);
        let bound = registry
            .get(c.kind.as_str())
            .map_or(&[][..], |d| d.schema().bound_to);
        if moves || bound.is_empty() {
            continue;
        }
        // What it (transitively) depends on, of the kind it is bound to.
        let mut seen = BTreeSet::new();
        let mut todo = vec![&c.address];
        while let Some(a) = todo.pop() {
            let Some(r) = stack.resources.get(a) else {
                continue;
            };
            for d in &r.depends_on {
                if seen.insert(d) {
                    todo.push(d);
                }
            }
        }
        // The first of the bound kinds names the cause (the VPC before its subnets).
        let gone = bound.iter().find_map(|k| {
            seen.iter().find(|a| {
                replaced.contains(*a) && stack.resources.get(**a).is_some_and(|r| r.kind == *k)
            })
        });
        if let Some(gone) = gone {
            let why = changes
                .iter()
                .find(|g| g.address == **gone)
                .map(|g| g.replace_paths.join(", "))
                .filter(|w| !w.is_empty())
                .map(|w| format!(" ({w} changes)"))
                .unwrap_or_default();
            out.push(format!(
                "  {}: {gone} is replaced{why}, and AWS cannot move this {} to the new one in place. Keep the old setting, or destroy the environment (`cdcstack destroy`) and apply the new one",
                c.address, c.kind
            ));
        }
    }
    out
}

/// Outputs of resources as planned: known for resources that keep their
/// identity, unknown (`None`) for those to be created or replaced.
pub struct Planned {
    pub outputs: HashMap<Address, Option<Attrs>>,
    pub account_id: String,
}

impl Lookup for Planned {
    fn output(&self, address: &Address, attr: &str) -> Option<Value> {
        self.outputs.get(address)?.as_ref()?.get(attr).cloned()
    }
    fn account_id(&self) -> Option<String> {
        Some(self.account_id.clone())
    }
}

/// Literal desired attributes: what a read can use to find a resource by name.
struct NoRefs;
impl Lookup for NoRefs {
    fn output(&self, _: &Address, _: &str) -> Option<Value> {
        None
    }
    fn account_id(&self) -> Option<String> {
        None
    }
}

fn literal_attrs(attrs: &BTreeMap<String, Expr>) -> Attrs {
    attrs
        .iter()
        .filter_map(|(k, e)| Some((k.clone(), e.resolve(&NoRefs)?)))
        .collect()
}

/// What a plan is made from.
pub struct Inputs<'a> {
    pub stack: &'a Stack,
    pub state: &'a State,
    /// False when no state document exists yet.
    pub state_exists: bool,
    pub env: &'a str,
    /// SHA-256 of the environment file.
    pub config_digest: &'a str,
    pub mode: Mode,
    /// `--target`s: `stack` and `state` are only part of the environment,
    /// and what lies outside them and the targets is left alone.
    pub targets: &'a [String],
}

/// Makes a plan.
///
/// # Errors
/// A failed read, or credentials for another account than the state's.
pub async fn make(ctx: &Ctx, registry: &Registry, input: Inputs<'_>) -> Result<Plan, PlanError> {
    let Inputs {
        stack,
        state,
        state_exists,
        env,
        config_digest,
        mode,
        targets,
    } = input;
    if let Some(acct) = &state.account_id
        && *acct != ctx.account_id
    {
        return Err(PlanError::WrongAccount {
            state: acct.clone(),
            current: ctx.account_id.clone(),
        });
    }
    let (state_stack, state_env) = (
        state.stack.as_deref().unwrap_or(&ctx.stack),
        state.environment.as_deref().unwrap_or(&ctx.env),
    );
    if (state_stack, state_env) != (ctx.stack.as_str(), ctx.env.as_str()) {
        return Err(PlanError::WrongEnvironment {
            state_stack: state_stack.to_string(),
            state_env: state_env.to_string(),
            stack: ctx.stack.clone(),
            env: ctx.env.clone(),
        });
    }
    if let Some(region) = &state.region
        && *region != ctx.region
        && !state.resources.is_empty()
    {
        return Err(PlanError::WrongRegion {
            state: region.clone(),
            current: ctx.region.clone(),
        });
    }

    // What to read: everything desired, and everything the state remembers.
    let mut wanted = Vec::new();
    for r in stack.resources.values() {
        let id = state.resources.get(&r.address).map(|s| s.id.clone());
        // What the state recorded comes first (a renamed resource is read
        // under its old name, so the plan replaces it instead of leaving it
        // behind); the desired literals fill in the rest.
        let mut known = state
            .resources
            .get(&r.address)
            .map(|s| s.attributes.clone())
            .unwrap_or_default();
        for (k, v) in literal_attrs(&r.attrs) {
            known.entry(k).or_insert(v);
        }
        wanted.push((
            r.kind.to_string(),
            Wanted {
                address: r.address.clone(),
                id,
                known,
            },
        ));
    }
    for (a, s) in &state.resources {
        if !stack.resources.contains_key(a) {
            wanted.push((
                s.kind.clone(),
                Wanted {
                    address: a.clone(),
                    id: Some(s.id.clone()),
                    known: s.attributes.clone(),
                },
            ));
        }
    }
    let found = read_all(ctx, registry, wanted)
        .await
        .map_err(|(kind, error)| PlanError::Read { kind, error })?;

    let mut changes = Vec::new();
    if mode != Mode::Destroy {
        let mut planned = Planned {
            outputs: HashMap::new(),
            account_id: ctx.account_id.clone(),
        };
        let order = stack
            .order()
            .expect("the stack was checked for cycles when built");
        for addr in order {
            let r = &stack.resources[&addr];
            let driver = registry[r.kind].clone();
            let live = found.live.get(&addr);
            let prior = state.resources.get(&addr);
            let d = compare(driver.as_ref(), &r.attrs, &planned, live.map(|l| &l.attrs));
            let broken = live.and_then(|l| driver.broken(l));
            let (action, reason) = match live {
                None => (Action::Create, prior.map(|_| Reason::DeletedOutside)),
                Some(_) if broken.is_some() => (Action::Replace, Some(Reason::Broken)),
                Some(_) if !d.replace_paths.is_empty() => {
                    (Action::Replace, Some(Reason::ReplaceBecauseCannotUpdate))
                }
                Some(_) if !d.changed.is_empty() => (Action::Update, None),
                Some(_) => (Action::NoOp, None),
            };
            let (action, reason) = match (mode, live) {
                (Mode::RefreshOnly, _) => (
                    Action::NoOp,
                    reason.filter(|r| *r == Reason::DeletedOutside),
                ),
                (_, Some(_)) if prior.is_none() && action == Action::NoOp => {
                    (action, Some(Reason::Adopt))
                }
                _ => (action, reason),
            };
            let outputs = match (action, live) {
                (Action::Create | Action::Replace, _) | (_, None) => None,
                (Action::Update, Some(l)) => {
                    let mut o = l.attrs.clone();
                    for v in driver.schema().volatile {
                        o.remove(*v);
                    }
                    Some(o)
                }
                (_, Some(l)) => Some(l.attrs.clone()),
            };
            planned.outputs.insert(addr.clone(), outputs);
            let mut notes = driver.notes(&d.after, live, &d.changed);
            notes.extend(broken.map(|b| format!("replaced because it is broken: {b}")));
            if let (Action::Replace, Some(lost)) = (action, driver.schema().data_lost_on_replace) {
                notes.push(format!(
                    "data loss: replacing it deletes {lost}; take a snapshot or copy first if you need it"
                ));
            }
            let drift = match (mode, live, prior) {
                (Mode::RefreshOnly, Some(l), Some(p)) => {
                    drifted(driver.as_ref(), r.attrs.keys(), &p.attributes, &l.attrs)
                }
                _ => Vec::new(),
            };
            let (reason, before, after, changed) = if drift.is_empty() {
                let before = live
                    .map(|l| normalized(driver.as_ref(), &l.attrs))
                    .or_else(|| prior.map(|p| p.attributes.clone()));
                let changed = if action == Action::NoOp {
                    vec![]
                } else {
                    d.changed
                };
                (reason, before, Some(d.after), changed)
            } else {
                // Refresh only: what the state says → what exists.
                let before = prior.map(|p| normalized(driver.as_ref(), &p.attributes));
                (
                    Some(Reason::Drift),
                    before,
                    live.map(|l| normalized(driver.as_ref(), &l.attrs)),
                    drift,
                )
            };
            changes.push(Change {
                address: addr.clone(),
                kind: r.kind.to_string(),
                action,
                reason,
                before,
                after,
                unknown: d.unknown,
                partial: d.partial,
                changed,
                replace_paths: d.replace_paths,
                live_id: live.map(|l| l.id.clone()),
                wait: live.is_some_and(|l| !l.ready) && mode != Mode::RefreshOnly,
                adopt: live.is_some() && prior.is_none(),
                desired: Some(r.attrs.clone()),
                depends_on: r.depends_on.iter().cloned().collect(),
                prior_depends_on: prior.map(|p| p.depends_on.clone()).unwrap_or_default(),
                notes,
            });
        }
    }

    // Deletes: whatever is not (or no longer) desired.
    let mut deleted: BTreeSet<Address> = BTreeSet::new();
    for (a, s) in &state.resources {
        if mode == Mode::Destroy || !stack.resources.contains_key(a) {
            let live = found.live.get(a);
            deleted.insert(a.clone());
            changes.push(delete_change(
                a,
                &s.kind,
                live,
                Some(s),
                if mode == Mode::Destroy {
                    Reason::Destroy
                } else {
                    Reason::NotInConfig
                },
            ));
        }
    }
    if mode == Mode::Destroy {
        // Found by ownership tags or name though the state forgot them (a crash).
        for (a, live) in &found.live {
            if !deleted.contains(a) {
                let kind = stack.resources.get(a).map_or("", |r| r.kind);
                deleted.insert(a.clone());
                changes.push(delete_change(a, kind, Some(live), None, Reason::Destroy));
            }
        }
    }
    for (a, kind, live) in &found.strays {
        // Other resources of the environment come back from the same
        // describe calls; outside the targets they are not strays.
        let in_scope = targets.is_empty()
            || stack.resources.contains_key(a)
            || state.resources.contains_key(a)
            || targets.iter().any(|t| crate::stack::matches_target(a, t));
        if !in_scope {
            continue;
        }
        changes.push(delete_change(a, kind, Some(live), None, Reason::Stray));
    }
    if mode == Mode::RefreshOnly {
        for c in &mut changes {
            if c.action == Action::Delete && c.live_id.is_some() {
                c.action = Action::NoOp;
            }
        }
    }

    let protected: Vec<String> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .filter_map(|c| {
            let live = Live::ready(c.live_id.clone()?, c.before.clone()?);
            let why = registry.get(c.kind.as_str())?.delete_blocker(&live)?;
            Some(format!("  {}: {why}", c.address))
        })
        .collect();
    if !protected.is_empty() {
        return Err(PlanError::Protected(protected));
    }
    let mut unbuildable = stranded(stack, registry, &changes);
    for c in &changes {
        if let (Action::Create | Action::Replace, Some(after)) = (c.action, &c.after) {
            let driver = &registry[c.kind.as_str()];
            if let Err(why) = driver.preflight(ctx, after).await {
                unbuildable.push(format!("  {}: {why}", c.address));
            }
        }
    }
    if !unbuildable.is_empty() {
        return Err(PlanError::Unbuildable(unbuildable));
    }

    Ok(Plan {
        env: env.to_string(),
        mode,
        config_digest: config_digest.to_string(),
        state_lineage: state.lineage.clone(),
        state_serial: state.serial,
        state_exists,
        account_id: ctx.account_id.clone(),
        changes,
    })
}

/// The attributes among `keys` whose recorded value differs from what exists.
fn drifted<'a>(
    driver: &dyn crate::engine::Driver,
    keys: impl Iterator<Item = &'a String>,
    recorded: &Attrs,
    live: &Attrs,
) -> Vec<String> {
    keys.filter(|k| match (recorded.get(k.as_str()), live.get(k.as_str())) {
        (Some(a), Some(b)) => !driver.same(k, &normalize(driver, k, a), &normalize(driver, k, b)),
        (None, None) => false,
        _ => true,
    })
    .cloned()
    .collect()
}

/// Live attributes with unordered lists sorted, so before and after compare.
fn normalized(driver: &dyn crate::engine::Driver, attrs: &Attrs) -> Attrs {
    attrs
        .iter()
        .map(|(k, v)| (k.clone(), normalize(driver, k, v)))
        .collect()
}

fn delete_change(
    a: &Address,
    kind: &str,
    live: Option<&Live>,
    prior: Option<&ResourceState>,
    reason: Reason,
) -> Change {
    Change {
        address: a.clone(),
        kind: kind.to_string(),
        action: Action::Delete,
        reason: Some(reason),
        before: live
            .map(|l| l.attrs.clone())
            .or_else(|| prior.map(|p| p.attributes.clone())),
        after: None,
        unknown: vec![],
        partial: BTreeMap::new(),
        changed: vec![],
        replace_paths: vec![],
        live_id: live.map(|l| l.id.clone()),
        wait: false,
        adopt: false,
        desired: None,
        depends_on: vec![],
        prior_depends_on: prior.map(|p| p.depends_on.clone()).unwrap_or_default(),
        notes: vec![],
    }
}
