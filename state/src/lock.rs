//! Lock information, in Terraform's layout, and waiting for a lock with a timeout.

use crate::backend::Backend;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant, SystemTime};

/// What a lock holder records, as Terraform's `LockInfo` (field names included), so that
/// Terraform and sakk can see each other's locks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Operation", default)]
    pub operation: String,
    #[serde(rename = "Info", default)]
    pub info: String,
    #[serde(rename = "Who", default)]
    pub who: String,
    #[serde(rename = "Version", default)]
    pub version: String,
    #[serde(rename = "Created", default)]
    pub created: String,
    #[serde(rename = "Path", default)]
    pub path: String,
}

impl LockInfo {
    /// A new lock for `operation` (e.g. `OperationTypeApply`, `state rm`), with a fresh ID, the
    /// current user and host, and the time. The backend fills in `path`.
    pub fn new(operation: &str) -> LockInfo {
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            info: String::new(),
            who: who(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: now_rfc3339(),
            path: String::new(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `user@host`, as Terraform writes it.
pub fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{user}@{host}")
}

pub fn now_rfc3339() -> String {
    aws_smithy_types::DateTime::from(SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// Parses `30s`, `5m`, `1m30s`, `500ms`, `2h`, or a plain number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad =
        || format!("invalid duration \"{s}\": use a number with a unit, like 30s, 5m or 1m30s");
    let s = s.trim();
    if s.is_empty() {
        return Err(bad());
    }
    if let Ok(n) = s.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let secs = match unit {
            "ms" => n / 1000.0,
            "s" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            _ => return Err(bad()),
        };
        total += Duration::try_from_secs_f64(secs).map_err(|_| bad())?;
    }
    Ok(total)
}

/// Takes the lock on `workspace`, retrying with backoff until `timeout` has passed. On a timeout
/// the error names the holder (from the last conflict).
pub fn lock_with_timeout(
    backend: &dyn Backend,
    workspace: &str,
    info: &LockInfo,
    timeout: Duration,
) -> Result<String> {
    let start = Instant::now();
    let mut delay = Duration::from_millis(200);
    loop {
        match backend.lock(workspace, info) {
            Ok(id) => return Ok(id),
            Err(Error::Locked(holder)) => {
                let elapsed = start.elapsed();
                if elapsed >= timeout {
                    return Err(Error::Locked(holder));
                }
                std::thread::sleep(delay.min(timeout - elapsed));
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        for bad in ["", "s", "10x", "-1s", "1.5.5s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lock_info_uses_terraform_field_names() {
        let i = LockInfo::new("OperationTypeApply");
        let v: serde_json::Value = serde_json::from_str(&i.to_json()).unwrap();
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
        assert!(i.created.ends_with('Z'));
    }
}
