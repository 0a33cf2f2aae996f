//! IAM policy documents, whose resources are often known only after apply
//! (a cluster's ARN, its topics').

use crate::model::iam::{PolicyDocument, Statement};
use crate::model::{Desired, E};

/// `Allow` `actions` on `resources`.
pub fn allow(sid: &str, actions: &[&str], resources: Vec<E<String>>) -> E<Statement> {
    E::record(Statement::<Desired> {
        sid: sid.into(),
        effect: "Allow".into(),
        action: E::lit(actions.iter().map(|a| a.to_string()).collect()),
        resource: E::list(resources),
    })
}

/// A policy document of `statements`, as the JSON text IAM takes.
pub fn policy(statements: Vec<E<Statement>>) -> E<String> {
    E::json(E::record(PolicyDocument::<Desired> {
        version: "2012-10-17".into(),
        statement: E::list(statements),
    }))
}
