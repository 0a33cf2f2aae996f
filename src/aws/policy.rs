//! Each kind's retry and timeout policy, as data: how long each phase may
//! wait (Terraform's timeouts), and which AWS errors mean "not yet" rather
//! than "no" (eventual consistency, a resource still busy or still in use),
//! with how long to keep trying. Drivers make their calls through their
//! kind's [`Policy`], so what is retried, and for how long, is one table
//! per kind instead of a predicate at every call.

use std::future::Future;
use std::time::Duration;

use super::ApiError;
use crate::engine::wait::{self, Poll};
use crate::engine::{Ctx, DriverError};

/// What a call is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Create,
    Update,
    Delete,
}

/// An AWS error that means "try again", in some phases.
#[derive(Debug, Clone, Copy)]
pub struct Transient {
    pub during: &'static [Phase],
    /// AWS error codes; `*.NotFound` matches every code ending in `.NotFound`.
    pub codes: &'static [&'static str],
    /// When not empty, the message must contain one of these (any case).
    pub messages: &'static [&'static str],
    /// How long to keep retrying before giving up.
    pub patience: Duration,
    /// Why it happens, for the logs.
    pub why: &'static str,
}

/// A kind's timeouts and transient errors.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
    pub transient: &'static [Transient],
}

pub const fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

/// Both phases of a change.
pub const CREATE_UPDATE: &[Phase] = &[Phase::Create, Phase::Update];
pub const ALL: &[Phase] = &[Phase::Create, Phase::Update, Phase::Delete];

impl Transient {
    fn matches(&self, phase: Phase, e: &ApiError) -> bool {
        let code = e.code.as_deref().unwrap_or_default();
        let code_ok = self.codes.iter().any(|c| match c.strip_prefix('*') {
            Some(suffix) => code.ends_with(suffix),
            None => code == *c,
        });
        let message = e.message.to_lowercase();
        let message_ok = self.messages.is_empty()
            || self
                .messages
                .iter()
                .any(|m| message.contains(&m.to_lowercase()));
        self.during.contains(&phase) && code_ok && message_ok
    }
}

impl Policy {
    pub fn timeout(&self, phase: Phase) -> Duration {
        match phase {
            Phase::Create => self.create,
            Phase::Update => self.update,
            Phase::Delete => self.delete,
        }
    }

    /// How long to keep retrying `e` in `phase`; `None` when it is final.
    pub fn patience(&self, phase: Phase, e: &ApiError) -> Option<Duration> {
        self.transient
            .iter()
            .find(|t| t.matches(phase, e))
            .map(|t| {
                tracing::debug!(why = t.why, error = %e, "transient");
                t.patience
            })
    }

    /// Runs `call`, again while it fails with a transient error of `phase`.
    ///
    /// # Errors
    /// The first final error, or the transient one once its patience is spent.
    pub async fn retry<T, F, Fut>(
        &self,
        ctx: &Ctx,
        phase: Phase,
        what: &str,
        call: F,
    ) -> Result<T, DriverError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        wait::retry(ctx, what, |e: &ApiError| self.patience(phase, e), call).await
    }

    /// Polls `check` until done, for at most the phase's timeout.
    ///
    /// # Errors
    /// `check`'s error, a timeout, or an interrupt.
    pub async fn until<T, F, Fut>(
        &self,
        ctx: &Ctx,
        phase: Phase,
        what: &str,
        check: F,
    ) -> Result<T, DriverError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Poll<T>, DriverError>>,
    {
        wait::until(ctx, what, self.timeout(phase), check).await
    }

    /// Deletes with `call` (retried while transient), treating "not found"
    /// as done, then polls `status` (the resource's state, `None` once it
    /// is gone) until it is gone.
    ///
    /// # Errors
    /// The delete's error, a timeout, or an interrupt.
    pub async fn delete<F, Fut, S, SFut>(
        &self,
        ctx: &Ctx,
        what: &str,
        call: F,
        mut status: S,
    ) -> Result<(), DriverError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), ApiError>>,
        S: FnMut() -> SFut,
        SFut: Future<Output = Result<Option<String>, DriverError>>,
    {
        if !self.delete_call(ctx, what, call).await? {
            return Ok(());
        }
        self.until(ctx, Phase::Delete, &format!("{what} to be deleted"), || {
            let s = status();
            async move {
                Ok(match s.await? {
                    None => Poll::Done(()),
                    Some(state) => Poll::Pending(state),
                })
            }
        })
        .await
    }

    /// Runs a delete call (retried while transient); `false` when the
    /// resource was already gone.
    ///
    /// # Errors
    /// Any other error of the call.
    pub async fn delete_call<F, Fut>(
        &self,
        ctx: &Ctx,
        what: &str,
        call: F,
    ) -> Result<bool, DriverError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(), ApiError>>,
    {
        match self
            .retry(ctx, Phase::Delete, &format!("deleting {what}"), call)
            .await
        {
            Ok(()) => Ok(true),
            Err(e) if super::error::not_found(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy {
        create: minutes(1),
        update: minutes(2),
        delete: minutes(3),
        transient: &[
            Transient {
                during: &[Phase::Delete],
                codes: &["DependencyViolation"],
                messages: &[],
                patience: minutes(20),
                why: "network interfaces linger",
            },
            Transient {
                during: CREATE_UPDATE,
                codes: &["*.NotFound", "BadRequestException"],
                messages: &["role", "AccessDenied"],
                patience: Duration::from_secs(120),
                why: "not visible yet",
            },
        ],
    };

    fn err(code: &str, message: &str) -> ApiError {
        ApiError {
            operation: "x:Y".into(),
            code: Some(code.into()),
            message: message.into(),
            status: Some(400),
        }
    }

    #[test]
    fn transient_errors_are_matched_by_phase_code_and_message() {
        assert_eq!(
            P.patience(Phase::Delete, &err("DependencyViolation", "in use")),
            Some(minutes(20))
        );
        assert_eq!(
            P.patience(Phase::Create, &err("DependencyViolation", "in use")),
            None,
            "only while deleting"
        );
        assert_eq!(
            P.patience(
                Phase::Create,
                &err("InvalidVpcID.NotFound", "the role is new")
            ),
            Some(Duration::from_secs(120)),
            "a code suffix"
        );
        assert_eq!(
            P.patience(
                Phase::Update,
                &err("BadRequestException", "accessdenied for x")
            ),
            Some(Duration::from_secs(120)),
            "messages match in any case"
        );
        assert_eq!(
            P.patience(Phase::Update, &err("BadRequestException", "bad name")),
            None,
            "a message none of the listed ones is final"
        );
        assert_eq!(P.timeout(Phase::Update), minutes(2));
    }
}
