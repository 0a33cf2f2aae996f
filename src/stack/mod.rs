//! The desired stack: every resource an apply builds, with its attributes
//! and dependencies, derived from a checked [`Config`].
//!
//! Second stage of the pipeline (`config → stack → plan → apply → state`).
//! Nothing here talks to AWS: references to values that exist only after
//! creation (ids, ARNs, endpoints) stay [`Expr::Ref`]s until apply.

mod address;
mod aurora;
mod connector;
mod expr;
mod iam;
mod msk;
mod network;
mod redshift;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

pub use address::Address;
pub use expr::{Expr, Lookup};

use crate::config::Config;
use crate::model::{Desired, E, Kind, Tags};

/// Ownership tags: how cdcstack finds its resources again after a crash.
pub const TAG_STACK: &str = "cdcstack:stack";
pub const TAG_ENV: &str = "cdcstack:env";
pub const TAG_ADDRESS: &str = "cdcstack:address";

/// One desired resource.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub address: Address,
    /// The resource kind ([`crate::model::Kind::NAME`]); selects the driver.
    pub kind: &'static str,
    pub attrs: BTreeMap<String, Expr>,
    /// Resources that must exist first: every reference in `attrs`, plus
    /// ordering AWS needs that no attribute shows (e.g. NAT after the IGW).
    pub depends_on: BTreeSet<Address>,
}

impl Resource {
    /// A resource of kind `K`; its dependencies are its references plus
    /// `after` (ordering AWS needs that no attribute shows).
    pub fn new<K: Kind>(address: Address, attrs: &K::Attrs<Desired>, after: &[&str]) -> Self {
        let attrs = crate::model::exprs(attrs);
        let mut depends_on = BTreeSet::new();
        for e in attrs.values() {
            e.refs(&mut depends_on);
        }
        depends_on.extend(after.iter().map(|a| Address::from(*a)));
        depends_on.remove(&address);
        Resource {
            address,
            kind: K::NAME,
            attrs,
            depends_on,
        }
    }
}

/// A named value `cdcstack output` prints.
#[derive(Debug, Clone, Serialize)]
pub struct OutputDef {
    pub name: &'static str,
    pub description: &'static str,
    pub value: Expr,
}

/// The whole desired stack.
#[derive(Debug, Clone, Serialize)]
pub struct Stack {
    pub resources: BTreeMap<Address, Resource>,
    pub outputs: Vec<OutputDef>,
}

/// Why a stack could not be built (a bug, not user error: config is checked first).
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("dependency cycle through `{0}`")]
    Cycle(Address),
    #[error("`{from}` depends on `{to}`, which the stack does not define")]
    Dangling { from: Address, to: Address },
}

/// A `--target` that names no resource.
#[derive(Debug, thiserror::Error)]
#[error("--target `{target}` matches no resource")]
pub struct TargetError {
    pub target: String,
}

impl Stack {
    /// Builds the desired stack from a checked configuration.
    ///
    /// # Errors
    /// A [`GraphError`] if the stack's own definition is inconsistent.
    pub fn build(cfg: &Config) -> Result<Stack, GraphError> {
        let mut b = Builder {
            cfg,
            resources: BTreeMap::new(),
            outputs: Vec::new(),
        };
        network::build(&mut b);
        aurora::build(&mut b);
        msk::build(&mut b);
        connector::build(&mut b);
        redshift::build(&mut b);
        let stack = Stack {
            resources: b.resources,
            outputs: b.outputs,
        };
        stack.order()?;
        Ok(stack)
    }

    /// The dependency graph: an edge `a → b` means `b` needs `a` first.
    pub fn graph(&self) -> (DiGraph<&Address, ()>, BTreeMap<&Address, NodeIndex>) {
        let mut g = DiGraph::new();
        let idx: BTreeMap<&Address, NodeIndex> =
            self.resources.keys().map(|a| (a, g.add_node(a))).collect();
        for r in self.resources.values() {
            for d in &r.depends_on {
                if let Some(&from) = idx.get(d) {
                    g.add_edge(from, idx[&r.address], ());
                }
            }
        }
        (g, idx)
    }

    /// Addresses in an order where every resource comes after its dependencies.
    ///
    /// # Errors
    /// A cycle or a dependency on an undefined address.
    pub fn order(&self) -> Result<Vec<Address>, GraphError> {
        for r in self.resources.values() {
            if let Some(d) = r
                .depends_on
                .iter()
                .find(|d| !self.resources.contains_key(*d))
            {
                return Err(GraphError::Dangling {
                    from: r.address.clone(),
                    to: d.clone(),
                });
            }
        }
        let (g, _) = self.graph();
        petgraph::algo::toposort(&g, None)
            .map(|o| o.into_iter().map(|i| g[i].clone()).collect())
            .map_err(|c| GraphError::Cycle(g[c.node_id()].clone()))
    }

    /// Keeps only resources at or under one of `targets` (`network`,
    /// `msk.cluster`, `network.subnet.private[1]`) and what they depend on.
    ///
    /// # Errors
    /// A target that matches nothing.
    pub fn retain_targets(&mut self, targets: &[String]) -> Result<(), TargetError> {
        if targets.is_empty() {
            return Ok(());
        }
        let mut keep = BTreeSet::new();
        for t in targets {
            let hits: Vec<Address> = self
                .resources
                .keys()
                .filter(|a| matches_target(a, t))
                .cloned()
                .collect();
            if hits.is_empty() {
                return Err(TargetError { target: t.clone() });
            }
            for h in hits {
                keep.extend(self.ancestors(&h));
                keep.insert(h);
            }
        }
        self.resources.retain(|a, _| keep.contains(a));
        let kept: BTreeSet<Address> = self.resources.keys().cloned().collect();
        self.outputs.retain(|o| {
            let mut refs = BTreeSet::new();
            o.value.refs(&mut refs);
            refs.is_subset(&kept)
        });
        Ok(())
    }

    /// Every resource `addr` depends on, directly or not.
    pub fn ancestors(&self, addr: &Address) -> BTreeSet<Address> {
        let mut out = BTreeSet::new();
        let mut todo = vec![addr.clone()];
        while let Some(a) = todo.pop() {
            if let Some(r) = self.resources.get(&a) {
                for d in &r.depends_on {
                    if out.insert(d.clone()) {
                        todo.push(d.clone());
                    }
                }
            }
        }
        out
    }
}

/// True when `addr` is `target` or lies under it (`network` ⊃ `network.vpc`,
/// `network.subnet.private` ⊃ `network.subnet.private[1]`).
pub fn matches_target(addr: &Address, target: &str) -> bool {
    let a = addr.as_str();
    a == target
        || a.strip_prefix(target)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// Collects resources while the tier modules describe them.
pub(crate) struct Builder<'c> {
    pub cfg: &'c Config,
    resources: BTreeMap<Address, Resource>,
    outputs: Vec<OutputDef>,
}

impl Builder<'_> {
    /// Adds a resource of kind `K`; its dependencies are its references
    /// plus `after` (ordering AWS needs that no attribute shows).
    pub fn add<K: Kind>(
        &mut self,
        address: impl Into<Address>,
        attrs: K::Attrs<Desired>,
        after: &[&str],
    ) -> Address {
        let r = Resource::new::<K>(address.into(), &attrs, after);
        let address = r.address.clone();
        self.resources.insert(address.clone(), r);
        address
    }

    /// The tags of the resource at `address`: the default tags, `Name` and
    /// the ownership tags.
    pub fn tags(&self, address: &str, name: &str) -> E<Tags> {
        let c = self.cfg;
        let mut t = c.tags.clone();
        t.insert("Name".into(), name.into());
        t.insert(TAG_STACK.into(), c.stack.name.clone());
        t.insert(TAG_ENV.into(), c.stack.environment.clone());
        t.insert(TAG_ADDRESS.into(), address.into());
        E::lit(t)
    }

    pub fn output(&mut self, name: &'static str, description: &'static str, value: Expr) {
        self.outputs.push(OutputDef {
            name,
            description,
            value,
        });
    }

    /// `arn:{partition}:...` prefix for this region.
    pub fn partition(&self) -> &'static str {
        crate::config::partition(&self.cfg.stack.region)
    }
}
