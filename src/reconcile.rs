//! What every kind's reconcile step returns, independent of Kubernetes I/O, so
//! reconcilers can be tested against the ECS fake without an API server.

use std::time::Duration;

/// How the object stands after a reconcile, as the conditions will say it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// AWS matches the spec.
    Ready { message: String },
    /// Work is under way; AWS will converge without help.
    Progressing {
        reason: &'static str,
        message: String,
    },
    /// A person must act; the message says what to do.
    Stalled {
        reason: &'static str,
        message: String,
    },
}

/// A Kubernetes Event to publish on the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
}

impl Note {
    pub fn normal(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            warning: false,
            reason,
            message: message.into(),
        }
    }

    pub fn warning(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            warning: true,
            reason,
            message: message.into(),
        }
    }
}

/// When to look again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// At the next drift-detection resync.
    Resync,
    /// Soon: AWS is converging.
    After(Duration),
    /// Only when the spec changes: retrying the same input would fail the same way.
    AwaitChange,
}

/// The result of reconciling one object.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome<S> {
    /// The kind's observed status fields (the shell adds conditions and observedGeneration).
    pub status: S,
    pub health: Health,
    pub notes: Vec<Note>,
    pub next: Next,
}

/// The result of cleaning up before the finalizer goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Cleanup<S> {
    /// Nothing left in AWS to wait for: remove the finalizer.
    Done(Vec<Note>),
    /// Still going: keep the finalizer and report this.
    Waiting(Outcome<S>),
}

/// How long to wait while AWS converges (provisioning, draining, deleting).
pub const CONVERGE_POLL: Duration = Duration::from_secs(10);
