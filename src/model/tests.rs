//! The model against the stacks the example env files build: every
//! reference names an attribute or output that its kind has, the tags say
//! where each resource lives, and the schema's names are the structs'.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_aux::serde_introspection::serde_introspect;

use super::*;
use crate::stack::{Expr, Stack, TAG_ADDRESS};

/// Every kind: its name, its attributes and its outputs, from the structs.
pub(crate) fn kinds() -> BTreeMap<&'static str, (BTreeSet<&'static str>, BTreeSet<&'static str>)> {
    fn fields<K: Kind>() -> (
        &'static str,
        (BTreeSet<&'static str>, BTreeSet<&'static str>),
    ) {
        let attrs = serde_introspect::<K::Attrs<Known>>()
            .iter()
            .copied()
            .collect();
        let outputs = serde_introspect::<K::Outputs<Known>>()
            .iter()
            .copied()
            .collect();
        (K::NAME, (attrs, outputs))
    }
    [
        fields::<network::Vpc>(),
        fields::<network::Subnet>(),
        fields::<network::InternetGateway>(),
        fields::<network::Eip>(),
        fields::<network::NatGateway>(),
        fields::<network::RouteTable>(),
        fields::<network::SecurityGroup>(),
        fields::<network::Instance>(),
        fields::<aurora::ParameterGroup>(),
        fields::<aurora::SubnetGroup>(),
        fields::<aurora::Cluster>(),
        fields::<aurora::Instance>(),
        fields::<aurora::Secret>(),
        fields::<aurora::CdcUser>(),
        fields::<msk::Configuration>(),
        fields::<msk::Cluster>(),
        fields::<s3::Bucket>(),
        fields::<s3::Object>(),
        fields::<iam::Role>(),
        fields::<iam::RolePolicy>(),
        fields::<logs::LogGroup>(),
        fields::<connector::Plugin>(),
        fields::<connector::WorkerConfiguration>(),
        fields::<connector::Connector>(),
        fields::<redshift::Namespace>(),
        fields::<redshift::Workgroup>(),
    ]
    .into_iter()
    .collect()
}

fn stacks() -> Vec<(String, Stack)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("env");
    ["dev", "uat", "prod"]
        .iter()
        .map(|env| {
            let cfg = crate::config::load(&dir.join(format!("{env}.toml"))).unwrap();
            (env.to_string(), Stack::build(&cfg).unwrap())
        })
        .collect()
}

fn refs(e: &Expr, out: &mut Vec<(String, String)>) {
    match e {
        Expr::Ref { address, attr } => out.push((address.to_string(), attr.clone())),
        Expr::Concat(v) | Expr::List(v) => v.iter().for_each(|e| refs(e, out)),
        Expr::Map(m) => m.values().for_each(|e| refs(e, out)),
        Expr::Json(e) => refs(e, out),
        Expr::Lit(_) | Expr::AccountId => {}
    }
}

#[test]
fn every_reference_names_something_its_kind_has() {
    let kinds = kinds();
    for (env, stack) in stacks() {
        for r in stack.resources.values() {
            let (attrs, _) = &kinds[r.kind];
            let set: BTreeSet<&str> = r.attrs.keys().map(String::as_str).collect();
            assert_eq!(
                &set, attrs,
                "{env}: {} sets every attribute of {}",
                r.address, r.kind
            );
            let mut found = Vec::new();
            r.attrs.values().for_each(|e| refs(e, &mut found));
            for (address, attr) in found {
                let target = stack
                    .resources
                    .get(address.as_str())
                    .unwrap_or_else(|| panic!("{env}: {} refers to {address}", r.address));
                let (a, o) = &kinds[target.kind];
                assert!(
                    a.contains(attr.as_str()) || o.contains(attr.as_str()),
                    "{env}: {} refers to `{address}.{attr}`, which a {} does not have",
                    r.address,
                    target.kind
                );
            }
        }
        let mut found = Vec::new();
        stack
            .outputs
            .iter()
            .for_each(|o| refs(&o.value, &mut found));
        for (address, attr) in found {
            let (a, o) = &kinds[stack.resources[address.as_str()].kind];
            assert!(
                a.contains(attr.as_str()) || o.contains(attr.as_str()),
                "{address}.{attr}"
            );
        }
    }
}

#[test]
fn attributes_and_outputs_never_share_a_name_and_volatile_ones_are_outputs() {
    let kinds = kinds();
    assert_eq!(kinds.len(), 26);
    for (kind, (attrs, outputs)) in &kinds {
        assert!(attrs.is_disjoint(outputs), "{kind}: {:?}", attrs & outputs);
    }
    for (kind, volatile) in [
        (msk::Configuration::NAME, msk::Configuration::VOLATILE),
        (msk::Cluster::NAME, msk::Cluster::VOLATILE),
        (
            aurora::ParameterGroup::NAME,
            aurora::ParameterGroup::VOLATILE,
        ),
        (s3::Object::NAME, s3::Object::VOLATILE),
        (connector::Connector::NAME, connector::Connector::VOLATILE),
    ] {
        for v in volatile {
            assert!(kinds[kind].1.contains(v), "{kind}: {v} is not an output");
        }
    }
}

#[test]
fn every_tagged_resource_says_where_it_lives() {
    for (env, stack) in stacks() {
        let mut tagged = 0;
        for r in stack.resources.values() {
            let Some(Expr::Lit(tags)) = r.attrs.get("tags") else {
                continue;
            };
            tagged += 1;
            assert_eq!(
                tags[TAG_ADDRESS],
                r.address.as_str(),
                "{env}: the ownership tag of {}",
                r.address
            );
        }
        assert!(tagged > 30, "{env}: {tagged} tagged resources");
    }
}

#[test]
fn a_nested_record_resolves_to_what_its_known_form_writes() {
    struct NoRefs;
    impl crate::stack::Lookup for NoRefs {
        fn output(&self, _: &crate::stack::Address, _: &str) -> Option<serde_json::Value> {
            Some("x-1".into())
        }
        fn account_id(&self) -> Option<String> {
            None
        }
    }
    let desired = E::record(network::Route::<Desired> {
        destination_cidr_block: "0.0.0.0/0".into(),
        gateway_id: E::some(id_of("network.internet_gateway")),
        nat_gateway_id: None::<&str>.into(),
    });
    let known = network::Route::<Known> {
        destination_cidr_block: "0.0.0.0/0".into(),
        gateway_id: Some("x-1".into()),
        nat_gateway_id: None,
    };
    assert_eq!(
        desired.into_expr().resolve(&NoRefs),
        Some(serde_json::to_value(known).unwrap())
    );
}
