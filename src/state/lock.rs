//! Lock information: the body of the lock object, in Terraform's shape
//! (`ID`, `Operation`, `Info`, `Who`, `Version`, `Created`, `Path`) so people
//! and scripts that know one know the other.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    /// e.g. `OperationTypeApply`.
    #[serde(rename = "Operation")]
    pub operation: String,
    /// `pid N`: lets a later run on the same host tell that the holder died.
    #[serde(rename = "Info", default)]
    pub info: String,
    /// `user@host`.
    #[serde(rename = "Who")]
    pub who: String,
    /// cdcstack version of the holder.
    #[serde(rename = "Version")]
    pub version: String,
    /// RFC 3339, UTC.
    #[serde(rename = "Created")]
    pub created: String,
    /// `bucket/key` of the state (or the local file).
    #[serde(rename = "Path")]
    pub path: String,
}

/// What a command locks for (Terraform's operation names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Plan,
    Apply,
    Destroy,
    Refresh,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Plan => "OperationTypePlan",
            Operation::Apply => "OperationTypeApply",
            Operation::Destroy => "OperationTypeDestroy",
            Operation::Refresh => "OperationTypeRefresh",
        }
    }
}

impl LockInfo {
    pub fn new(operation: Operation, path: &str) -> Self {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.as_str().to_string(),
            info: format!("pid {}", std::process::id()),
            who: format!("{}@{}", user(), host()),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            path: path.to_string(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("lock info serialises")
    }

    pub fn age(&self) -> Option<Duration> {
        let created = humantime::parse_rfc3339(&self.created).ok()?;
        SystemTime::now().duration_since(created).ok()
    }

    fn pid(&self) -> Option<u32> {
        self.info.strip_prefix("pid ")?.trim().parse().ok()
    }

    /// `Some(false)` when the holder ran on this host and its process is gone.
    pub fn holder_alive(&self) -> Option<bool> {
        if self.who.rsplit('@').next() != Some(host().as_str()) {
            return None;
        }
        let pid = self.pid()?;
        process_alive(pid)
    }

    /// One paragraph for the user: who holds the lock, since when, and what to do.
    pub fn describe(&self) -> String {
        let age = self
            .age()
            .map(|d| humantime::format_duration(Duration::from_secs(d.as_secs())).to_string())
            .unwrap_or_else(|| "unknown time".into());
        let mut s = format!(
            "  ID:        {}\n  Operation: {}\n  Who:       {}\n  Version:   {}\n  Created:   {} ({age} ago)\n  Path:      {}",
            self.id, self.operation, self.who, self.version, self.created, self.path
        );
        if self.holder_alive() == Some(false) {
            s.push_str(&format!(
                "\n  The holder ran on this host as {} and that process no longer exists: the lock is stale.",
                self.info
            ));
        }
        s
    }

    /// What to do about it: wait, or, when its process is known to be gone,
    /// release it.
    pub fn advice(&self, env: &str) -> String {
        let unlock = format!("    cdcstack force-unlock --env {env} {}", self.id);
        if self.holder_alive() == Some(false) {
            format!("No run holds it any more; release it with:\n{unlock}")
        } else {
            format!(
                "Wait for it to finish (or pass --lock-timeout 10m to wait). If that process is dead, release the lock with:\n{unlock}"
            )
        }
    }
}

fn user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

fn host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> Option<bool> {
    Some(std::path::Path::new(&format!("/proc/{pid}")).exists())
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> Option<bool> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_shaped_body() {
        let l = LockInfo::new(Operation::Apply, "b/k");
        let v: serde_json::Value = serde_json::from_slice(&l.to_bytes()).unwrap();
        for k in [
            "ID",
            "Operation",
            "Info",
            "Who",
            "Version",
            "Created",
            "Path",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(v["Operation"], "OperationTypeApply");
        assert!(l.age().unwrap() < Duration::from_secs(5));
        assert_eq!(
            l.holder_alive(),
            if cfg!(target_os = "linux") {
                Some(true)
            } else {
                None
            }
        );
        let dead = LockInfo {
            info: "pid 4294967295".into(),
            ..l
        };
        if cfg!(target_os = "linux") {
            assert!(dead.describe().contains("stale"));
        }
    }
}
