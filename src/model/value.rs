//! The forms one attribute struct takes. A kind's attributes are declared
//! once, generic over a [`Form`]; each form gives every field another type:
//!
//! | form        | a `F::Of<T>` field is | used by                                           |
//! |-------------|-----------------------|---------------------------------------------------|
//! | [`Known`]   | `T`                   | drivers: what to create, what exists              |
//! | [`Desired`] | [`E<T>`]: a literal or a reference | the stack, before anything exists    |
//! | [`Maybe`]   | `Option<T>`           | what is known before a read (names, the state's) |
//! | [`Rules`]   | [`Rule`]              | the schema: in place or replaced, set or list     |
//! | [`Flags`]   | `bool`                | what an update changes                            |
//!
//! So a field added to a kind must be set by the stack, classified by the
//! schema and named by the driver's update, or the crate does not compile.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::stack::Expr;

/// A value an attribute can hold.
pub trait Field:
    Serialize + DeserializeOwned + Clone + Debug + PartialEq + Send + Sync + 'static
{
}
impl<T> Field for T where
    T: Serialize + DeserializeOwned + Clone + Debug + PartialEq + Send + Sync + 'static
{
}

/// What each field of an attribute struct holds (see the module docs).
pub trait Form: Clone + Debug + PartialEq + Send + Sync + 'static {
    type Of<T: Field>: Field;
}

/// Concrete values: what a driver creates from and reads back.
#[derive(Debug, Clone, PartialEq)]
pub struct Known;
impl Form for Known {
    type Of<T: Field> = T;
}

/// Expressions: literals, or references to outputs known after apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired;
impl Form for Desired {
    type Of<T: Field> = E<T>;
}

/// Each value present or not: partial knowledge.
#[derive(Debug, Clone, PartialEq)]
pub struct Maybe;
impl Form for Maybe {
    type Of<T: Field> = Option<T>;
}

/// The schema: how each attribute changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules;
impl Form for Rules {
    type Of<T: Field> = Rule;
}

/// One flag per attribute (which ones an update changes).
#[derive(Debug, Clone, PartialEq)]
pub struct Flags;
impl Form for Flags {
    type Of<T: Field> = bool;
}

/// How AWS changes one attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// False: a new value means delete and create again.
    pub in_place: bool,
    /// A list compared as a set (order carries no meaning).
    pub unordered: bool,
}

/// Changed by an update call.
pub const IN_PLACE: Rule = Rule {
    in_place: true,
    unordered: false,
};
/// Only by replacing the resource.
pub const REPLACE: Rule = Rule {
    in_place: false,
    unordered: false,
};
/// A set changed by an update call.
pub const IN_PLACE_SET: Rule = Rule {
    in_place: true,
    unordered: true,
};
/// A set changed only by replacing the resource.
pub const REPLACE_SET: Rule = Rule {
    in_place: false,
    unordered: true,
};

/// Tags as an attribute.
pub type Tags = BTreeMap<String, String>;

/// A desired value of type `T`: a literal, or an expression that resolves
/// to one once what it refers to exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent, bound = "")]
pub struct E<T: Field> {
    expr: Expr,
    #[serde(skip)]
    ty: PhantomData<fn() -> T>,
}

impl<T: Field> E<T> {
    fn of(expr: Expr) -> Self {
        E {
            expr,
            ty: PhantomData,
        }
    }

    pub fn lit(v: T) -> Self {
        E::of(Expr::Lit(
            serde_json::to_value(v).expect("attribute values serialise"),
        ))
    }

    /// The output `attr` of the resource at `address`.
    pub fn reference(address: &str, attr: &str) -> Self {
        E::of(Expr::reference(address, attr))
    }

    /// A struct value some of whose fields are references. Fields that are
    /// not set are left out, as AWS leaves them out of what it reports.
    pub fn record<D: Lift<Known = T>>(fields: D) -> Self {
        let mut m = exprs(&fields);
        m.retain(|_, e| *e != Expr::Lit(Value::Null));
        E::of(Expr::Map(m))
    }

    /// An expression whose type the caller vouches for (documents built as maps).
    pub fn untyped(expr: Expr) -> Self {
        E::of(expr)
    }

    pub fn into_expr(self) -> Expr {
        self.expr
    }
}

impl<T: Field> From<T> for E<T> {
    fn from(v: T) -> Self {
        E::lit(v)
    }
}

impl From<&str> for E<String> {
    fn from(v: &str) -> Self {
        E::lit(v.to_string())
    }
}

impl From<&str> for E<Option<String>> {
    fn from(v: &str) -> Self {
        E::lit(Some(v.to_string()))
    }
}

impl From<Option<&str>> for E<Option<String>> {
    fn from(v: Option<&str>) -> Self {
        E::lit(v.map(str::to_string))
    }
}

impl E<String> {
    /// Strings joined.
    pub fn concat(parts: impl IntoIterator<Item = E<String>>) -> Self {
        E::of(Expr::Concat(parts.into_iter().map(E::into_expr).collect()))
    }

    /// The AWS account id of the caller.
    pub fn account_id() -> Self {
        E::of(Expr::AccountId)
    }

    /// `value` serialised as a JSON document (IAM policies).
    pub fn json<U: Field>(value: E<U>) -> Self {
        E::of(Expr::Json(Box::new(value.expr)))
    }
}

impl<U: Field> E<Option<U>> {
    /// Some `value`, or a reference that may resolve to one.
    pub fn some(value: E<U>) -> Self {
        E::of(value.expr)
    }
}

impl<U: Field> E<Vec<U>> {
    pub fn list(items: impl IntoIterator<Item = E<U>>) -> Self {
        E::of(Expr::List(items.into_iter().map(E::into_expr).collect()))
    }
}

impl<U: Field> E<BTreeMap<String, U>> {
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, E<U>)>) -> Self {
        E::of(Expr::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k.into(), v.expr))
                .collect(),
        ))
    }
}

/// A nested struct in its [`Desired`] form, whose [`Known`] form is `Known`.
pub trait Lift: Serialize {
    type Known: Field;
}

/// The fields of a [`Desired`] struct as expressions, by name.
///
/// # Panics
/// Never for structs whose fields are all `E<_>` (every `Desired` form).
pub fn exprs(desired: &impl Serialize) -> BTreeMap<String, Expr> {
    match serde_json::to_value(desired).expect("desired attributes serialise") {
        Value::Object(fields) => fields
            .into_iter()
            .map(|(k, v)| {
                let e = serde_json::from_value(v)
                    .unwrap_or_else(|e| panic!("field `{k}` of a desired struct: {e}"));
                (k, e)
            })
            .collect(),
        other => panic!("a desired struct serialised as {other}"),
    }
}

/// Skips `None` (and other nulls) when serialising, so a value that is not
/// set is absent, as AWS reports it.
pub fn is_null<T: Serialize>(v: &T) -> bool {
    serde_json::to_value(v).is_ok_and(|v| v.is_null())
}

/// A reference to the `id` output of `address` (the most common reference).
pub fn id_of(address: &str) -> E<String> {
    E::reference(address, "id")
}

/// References to the `id` outputs of several resources.
pub fn ids_of<'a>(addresses: impl IntoIterator<Item = &'a str>) -> E<Vec<String>> {
    E::list(addresses.into_iter().map(id_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(bound = "")]
    struct Demo<F: Form = Known> {
        name: F::Of<String>,
        count: F::Of<u32>,
        #[serde(skip_serializing_if = "is_null")]
        note: F::Of<Option<String>>,
    }

    #[test]
    fn one_struct_in_every_form() {
        let d = Demo::<Desired> {
            name: E::reference("a.b", "name"),
            count: 3.into(),
            note: None::<&str>.into(),
        };
        let e = exprs(&d);
        assert_eq!(e["name"], Expr::reference("a.b", "name"));
        assert_eq!(e["count"], Expr::Lit(3.into()));
        assert_eq!(e["note"], Expr::Lit(Value::Null));

        let k: Demo = serde_json::from_value(serde_json::json!({"name": "x", "count": 1})).unwrap();
        assert_eq!(k.note, None, "a missing optional field is None");
        assert_eq!(
            serde_json::to_value(&k).unwrap(),
            serde_json::json!({"name": "x", "count": 1}),
            "None is not written"
        );
        let err = serde_json::from_value::<Demo>(serde_json::json!({"name": "x"})).unwrap_err();
        assert!(err.to_string().contains("missing field `count`"), "{err}");

        let m: Demo<Maybe> = serde_json::from_value(serde_json::json!({"name": "x"})).unwrap();
        assert_eq!((m.name.as_deref(), m.count), (Some("x"), None));
        let rules = Demo::<Rules> {
            name: REPLACE,
            count: IN_PLACE,
            note: IN_PLACE,
        };
        assert_eq!(
            serde_json::to_value(rules).unwrap()["name"]["in_place"],
            false
        );
    }
}
