//! Turning a plan into operations and the order between them.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::Step;
use crate::plan::{Action, Plan};
use crate::stack::{Address, Stack};

#[derive(Debug)]
pub struct Op {
    pub step: Step,
    pub address: Address,
    /// Index of its change in the plan.
    pub change: usize,
    /// Indexes of the ops that must finish first.
    pub deps: BTreeSet<usize>,
}

/// Which kinds (transitively) depend on which, from the desired stack:
/// the ordering for deletes of resources whose own dependencies are unknown.
fn kind_closure(stack: &Stack) -> BTreeMap<String, BTreeSet<String>> {
    let mut direct: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in stack.resources.values() {
        for d in &r.depends_on {
            let dk = stack.resources[d].kind;
            if dk != r.kind {
                direct
                    .entry(r.kind.to_string())
                    .or_default()
                    .insert(dk.to_string());
            }
        }
    }
    let mut closure = direct.clone();
    loop {
        let mut grew = false;
        for k in direct.keys() {
            let reach: BTreeSet<String> = closure[k]
                .iter()
                .flat_map(|d| closure.get(d).cloned().unwrap_or_default())
                .collect();
            let set = closure.get_mut(k).expect("key from direct");
            let before = set.len();
            set.extend(reach);
            grew |= set.len() != before;
        }
        if !grew {
            return closure;
        }
    }
}

pub fn build_ops(plan: &Plan, stack: &Stack) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut create: BTreeMap<Address, usize> = BTreeMap::new();
    let mut delete: BTreeMap<Address, usize> = BTreeMap::new();
    for (i, c) in plan.changes.iter().enumerate() {
        let mut push = |kind: Step| {
            ops.push(Op {
                step: kind,
                address: c.address.clone(),
                change: i,
                deps: BTreeSet::new(),
            });
            ops.len() - 1
        };
        match c.action {
            Action::Create => {
                create.insert(c.address.clone(), push(Step::Create));
            }
            Action::Update => {
                create.insert(c.address.clone(), push(Step::Update));
            }
            Action::Replace => {
                delete.insert(c.address.clone(), push(Step::Delete));
                create.insert(c.address.clone(), push(Step::Create));
            }
            Action::Delete => {
                delete.insert(c.address.clone(), push(Step::Delete));
            }
            Action::NoOp if c.wait => {
                create.insert(c.address.clone(), push(Step::Wait));
            }
            Action::NoOp => {}
        }
    }

    let kinds = kind_closure(stack);
    let change_of = |op: &Op| &plan.changes[op.change];
    let mut edges: Vec<(usize, usize)> = Vec::new(); // (before, after)
    for (i, op) in ops.iter().enumerate() {
        let c = change_of(op);
        match op.step {
            Step::Create | Step::Update | Step::Wait => {
                for d in &c.depends_on {
                    if let Some(&j) = create.get(d) {
                        edges.push((j, i));
                    }
                }
                if op.step == Step::Create
                    && let Some(&j) = delete.get(&c.address)
                {
                    edges.push((j, i));
                }
            }
            Step::Delete => {
                // Whatever used this resource is deleted (or changed) first.
                for (j, other) in ops.iter().enumerate() {
                    if j == i || other.step == Step::Create || other.step == Step::Wait {
                        continue;
                    }
                    let oc = change_of(other);
                    let uses = if oc.prior_depends_on.is_empty()
                        && other.step == Step::Delete
                        && oc.before.is_some()
                    {
                        // Unknown dependencies (found by tags only): order by kind.
                        kinds.get(&oc.kind).is_some_and(|ks| ks.contains(&c.kind))
                    } else if other.step == Step::Update
                        && create.contains_key(&c.address)
                        && oc.depends_on.contains(&c.address)
                    {
                        // Replaced, and the dependant is updated to point at
                        // the new one: delete, create, then update (as
                        // Terraform does); waiting here would be a cycle.
                        false
                    } else {
                        oc.prior_depends_on.contains(&c.address)
                    };
                    if uses {
                        edges.push((j, i));
                    }
                }
            }
        }
    }
    for (before, after) in edges {
        if before != after {
            ops[after].deps.insert(before);
        }
    }
    ops
}

/// The addresses of operations that can never start because they wait on
/// each other (a cycle), if any.
pub fn waiting_on_each_other(ops: &[Op]) -> Option<Vec<Address>> {
    let mut pending: Vec<usize> = ops.iter().map(|o| o.deps.len()).collect();
    let mut ready: Vec<usize> = (0..ops.len()).filter(|&i| pending[i] == 0).collect();
    while let Some(i) = ready.pop() {
        for (j, o) in ops.iter().enumerate() {
            if o.deps.contains(&i) {
                pending[j] -= 1;
                if pending[j] == 0 {
                    ready.push(j);
                }
            }
        }
    }
    let stuck: Vec<Address> = (0..ops.len())
        .filter(|&i| pending[i] > 0)
        .map(|i| ops[i].address.clone())
        .collect();
    (!stuck.is_empty()).then_some(stuck)
}
