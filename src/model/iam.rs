//! IAM roles (the connector's execution role, Redshift's streaming role)
//! and their inline policies.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Arn, Desired, Form, IN_PLACE, Kind, Known, Lift, Nothing, REPLACE, Tags};

pub struct Role;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RoleAttrs<F: Form = Known> {
    pub name: F::Of<String>,
    pub description: F::Of<String>,
    /// A JSON policy document.
    pub assume_role_policy: F::Of<String>,
    pub tags: F::Of<Tags>,
}

impl Kind for Role {
    const NAME: &'static str = "iam_role";
    type Attrs<F: Form> = RoleAttrs<F>;
    type Outputs<F: Form> = Arn<F>;
    const CHANGES: RoleAttrs<super::Rules> = RoleAttrs {
        name: REPLACE,
        description: IN_PLACE,
        assume_role_policy: IN_PLACE,
        tags: IN_PLACE,
    };

    fn same(attr: &str, desired: &Value, live: &Value) -> bool {
        if attr == "assume_role_policy" {
            same_policy(desired, live)
        } else {
            desired == live
        }
    }
}

pub struct RolePolicy;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RolePolicyAttrs<F: Form = Known> {
    pub role_name: F::Of<String>,
    pub policy_name: F::Of<String>,
    /// A JSON policy document.
    pub policy: F::Of<String>,
}

impl Kind for RolePolicy {
    const NAME: &'static str = "iam_role_policy";
    type Attrs<F: Form> = RolePolicyAttrs<F>;
    type Outputs<F: Form> = Nothing<F>;
    const CHANGES: RolePolicyAttrs<super::Rules> = RolePolicyAttrs {
        role_name: REPLACE,
        policy_name: REPLACE,
        policy: IN_PLACE,
    };

    fn same(attr: &str, desired: &Value, live: &Value) -> bool {
        if attr == "policy" {
            same_policy(desired, live)
        } else {
            desired == live
        }
    }
}

/// Whether two IAM policy documents mean the same (AWS reorders keys and
/// may collapse one-element lists).
pub fn same_policy(a: &Value, b: &Value) -> bool {
    let parse = |v: &Value| match v {
        Value::String(s) => serde_json::from_str::<Value>(s).ok().map(normalize_policy),
        other => Some(normalize_policy(other.clone())),
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn normalize_policy(v: Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.into_iter().map(normalize_policy).collect();
            if items.len() == 1 {
                return items.pop().expect("one element");
            }
            items.sort_by_key(ToString::to_string);
            Value::Array(items)
        }
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, normalize_policy(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_by_meaning() {
        let a = serde_json::json!(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#
        );
        let b = serde_json::json!(
            r#"{"Statement":{"Resource":["*"],"Action":"s3:GetObject","Effect":"Allow"},"Version":"2012-10-17"}"#
        );
        assert!(same_policy(&a, &b));
        let c = serde_json::json!(
            r#"{"Statement":{"Resource":["*"],"Action":"s3:PutObject","Effect":"Allow"},"Version":"2012-10-17"}"#
        );
        assert!(!same_policy(&a, &c));
    }
}

/// One statement of a policy document: what it allows on what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Statement<F: Form = Known> {
    #[serde(rename = "Sid")]
    pub sid: F::Of<String>,
    #[serde(rename = "Effect")]
    pub effect: F::Of<String>,
    #[serde(rename = "Action")]
    pub action: F::Of<Vec<String>>,
    #[serde(rename = "Resource")]
    pub resource: F::Of<Vec<String>>,
}

impl Lift for Statement<Desired> {
    type Known = Statement;
}

/// An identity policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct PolicyDocument<F: Form = Known> {
    #[serde(rename = "Version")]
    pub version: F::Of<String>,
    #[serde(rename = "Statement")]
    pub statement: F::Of<Vec<Statement>>,
}

impl Lift for PolicyDocument<Desired> {
    type Known = PolicyDocument;
}
