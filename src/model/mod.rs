//! The typed resource model: one attribute struct and one outputs struct
//! per resource kind, shared by the stack that builds a resource
//! ([`crate::stack`], in the [`Desired`] form) and the driver that creates,
//! reads and updates it (the AWS drivers, in the [`Known`] form).
//! The JSON that state and plans hold is made from these structs, and read
//! back into them, only at the engine's boundary ([`crate::engine::typed`]).
//!
//! A kind's schema is data next to its structs: how each attribute changes
//! ([`Kind::CHANGES`], a struct literal, so no field goes unclassified),
//! which outputs an update changes, what it is bound to, what a
//! replacement loses.

pub mod aurora;
pub mod connector;
pub mod iam;
pub mod logs;
pub mod msk;
pub mod network;
pub mod redshift;
pub mod s3;
#[cfg(test)]
pub(crate) mod tests;
pub mod value;

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use value::{
    Desired, E, Flags, Form, IN_PLACE, IN_PLACE_SET, Known, Lift, Maybe, REPLACE, REPLACE_SET,
    Rule, Rules, Tags, exprs, id_of, ids_of, is_null,
};

/// An attribute or outputs struct in one of its forms.
pub trait Record: Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static {}
impl<T> Record for T where T: Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static {}

/// One resource kind: its name, its structs and its schema.
pub trait Kind: Send + Sync + 'static {
    /// The name state, plans and `graph` know it by (e.g. `vpc`).
    const NAME: &'static str;
    /// The attributes the stack sets.
    type Attrs<F: Form>: Record;
    /// What exists only once AWS made it (ids, ARNs, endpoints, states).
    type Outputs<F: Form>: Record;
    /// How AWS changes each attribute: in place, or only by replacement.
    const CHANGES: Self::Attrs<Rules>;
    /// Outputs an in-place update changes (e.g. a new revision number).
    const VOLATILE: &'static [&'static str] = &[];
    /// The kinds of resource this one can never move away from in place (a
    /// DB cluster and its VPC): when one it depends on is replaced, the plan
    /// refuses unless this is replaced (or deleted) too.
    const BOUND_TO: &'static [&'static str] = &[];
    /// What is lost for good when it is replaced (databases, topics).
    const DATA_LOST_ON_REPLACE: Option<&'static str> = None;

    /// Whether changing `attr` from `before` to `after` needs a replacement,
    /// where that depends on the values (storage grows in place but never
    /// shrinks); `None`: as [`Kind::CHANGES`] says.
    fn replaces(_attr: &str, _before: Option<&Value>, _after: Option<&Value>) -> Option<bool> {
        None
    }

    /// Whether a desired value and the live one mean the same (default: equal).
    fn same(_attr: &str, desired: &Value, live: &Value) -> bool {
        desired == live
    }
}

/// The attributes of kind `K`, known.
pub type Attrs<K> = <K as Kind>::Attrs<Known>;
/// The outputs of kind `K`, known.
pub type Outputs<K> = <K as Kind>::Outputs<Known>;
/// The attributes of kind `K`, each one known or not.
pub type Partial<K> = <K as Kind>::Attrs<Maybe>;
/// Which attributes of kind `K` an update changes.
pub type Changed<K> = <K as Kind>::Attrs<Flags>;

/// Outputs of kinds known by their id alone (most EC2 kinds).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(bound = "")]
pub struct Id<F: Form = Known> {
    pub id: F::Of<String>,
}

/// Outputs of kinds known by their ARN alone.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(bound = "")]
pub struct Arn<F: Form = Known> {
    pub arn: F::Of<String>,
}

/// No outputs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(bound = "")]
pub struct Nothing<F: Form = Known> {
    #[serde(skip)]
    form: std::marker::PhantomData<F>,
}

impl<F: Form> Default for Nothing<F> {
    fn default() -> Self {
        Nothing {
            form: std::marker::PhantomData,
        }
    }
}
