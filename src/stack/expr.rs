//! Desired attribute values: literals, or references to other resources'
//! outputs that are only known once those exist ("known after apply").

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::address::Address;

/// A desired attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expr {
    Lit(Value),
    /// An output attribute of another resource (an edge in the graph).
    Ref {
        address: Address,
        attr: String,
    },
    /// The AWS account id of the caller (read once per run with STS).
    AccountId,
    /// Strings joined.
    Concat(Vec<Expr>),
    List(Vec<Expr>),
    Map(BTreeMap<String, Expr>),
    /// The inner value serialised as a JSON string (IAM policy documents).
    Json(Box<Expr>),
}

/// Where references are looked up.
pub trait Lookup {
    /// `None`: not known yet (the resource is still to be created or replaced).
    fn output(&self, address: &Address, attr: &str) -> Option<Value>;
    fn account_id(&self) -> Option<String>;
}

impl Expr {
    pub fn reference(address: &str, attr: &str) -> Self {
        Expr::Ref {
            address: address.into(),
            attr: attr.to_string(),
        }
    }

    /// Every resource this value refers to.
    pub fn refs(&self, out: &mut BTreeSet<Address>) {
        match self {
            Expr::Ref { address, .. } => {
                out.insert(address.clone());
            }
            Expr::Concat(v) | Expr::List(v) => v.iter().for_each(|e| e.refs(out)),
            Expr::Map(m) => m.values().for_each(|e| e.refs(out)),
            Expr::Json(e) => e.refs(out),
            Expr::Lit(_) | Expr::AccountId => {}
        }
    }

    /// The concrete value, or `None` when something it refers to is unknown.
    pub fn resolve(&self, l: &dyn Lookup) -> Option<Value> {
        Some(match self {
            Expr::Lit(v) => v.clone(),
            Expr::Ref { address, attr } => l.output(address, attr)?,
            Expr::AccountId => Value::String(l.account_id()?),
            Expr::Concat(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p.resolve(l)? {
                        Value::String(x) => s.push_str(&x),
                        other => s.push_str(&other.to_string()),
                    }
                }
                Value::String(s)
            }
            Expr::List(v) => Value::Array(v.iter().map(|e| e.resolve(l)).collect::<Option<_>>()?),
            Expr::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, e)| Some((k.clone(), e.resolve(l)?)))
                    .collect::<Option<_>>()?,
            ),
            Expr::Json(e) => Value::String(e.resolve(l)?.to_string()),
        })
    }

    /// A short human form: literals as JSON, references as `${addr.attr}`.
    pub fn display(&self) -> String {
        match self {
            Expr::Lit(v) => v.to_string(),
            Expr::Ref { address, attr } => format!("${{{address}.{attr}}}"),
            Expr::AccountId => "${aws.account_id}".into(),
            Expr::Concat(parts) => {
                let mut s = String::from("\"");
                for p in parts {
                    match p {
                        Expr::Lit(Value::String(x)) => s.push_str(x),
                        other => s.push_str(&other.display()),
                    }
                }
                s.push('"');
                s
            }
            Expr::List(v) => format!(
                "[{}]",
                v.iter().map(Expr::display).collect::<Vec<_>>().join(", ")
            ),
            Expr::Map(m) => format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, v)| format!("{k} = {}", v.display()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Expr::Json(e) => format!("jsonencode({})", e.display()),
        }
    }
}

impl<T: Into<Value>> From<T> for Expr {
    fn from(v: T) -> Self {
        Expr::Lit(v.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct L;
    impl Lookup for L {
        fn output(&self, a: &Address, attr: &str) -> Option<Value> {
            (a.as_str() == "network.vpc" && attr == "id").then(|| "vpc-1".into())
        }
        fn account_id(&self) -> Option<String> {
            Some("123".into())
        }
    }

    #[test]
    fn resolves_known_refs_and_reports_unknown() {
        let e = Expr::Concat(vec![
            "arn:".into(),
            Expr::AccountId,
            ":".into(),
            Expr::reference("network.vpc", "id"),
        ]);
        assert_eq!(e.resolve(&L), Some(Value::from("arn:123:vpc-1")));
        assert_eq!(Expr::reference("msk.cluster", "arn").resolve(&L), None);
        let j = Expr::Json(Box::new(Expr::Map(
            [("a".to_string(), Expr::from(1))].into(),
        )));
        assert_eq!(j.resolve(&L), Some(Value::from("{\"a\":1}")));
    }
}
