//! The local backend: `terraform.tfstate` beside the configuration, other workspaces under
//! `terraform.tfstate.d/<ws>/terraform.tfstate`.
//!
//! Writes are atomic (temp file, fsync, rename, fsync of the directory) with mode 0600; the first
//! write of a process keeps the previous state as `<file>.backup`. The lock is an OS file lock on
//! `.<file>.lock.info` (which also holds the holder's [`LockInfo`]), held for the whole operation
//! and released by the OS if the process dies.

use super::{Backend, DEFAULT_WORKSPACE};
use crate::error::{Error, Result};
use crate::lock::LockInfo;
use crate::model::State;
use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct LocalBackend {
    /// The default workspace's state file.
    path: PathBuf,
    /// Where other workspaces live.
    workspace_dir: PathBuf,
    held: Mutex<HashMap<String, (String, File)>>,
    backed_up: Mutex<HashSet<String>>,
}

impl LocalBackend {
    /// `dir` is the configuration directory; `path` and `workspace_dir` the `local` backend's
    /// settings (relative to `dir`), if given.
    pub fn new(dir: &Path, path: Option<&str>, workspace_dir: Option<&str>) -> LocalBackend {
        LocalBackend {
            path: dir.join(path.unwrap_or("terraform.tfstate")),
            workspace_dir: dir.join(workspace_dir.unwrap_or("terraform.tfstate.d")),
            held: Mutex::new(HashMap::new()),
            backed_up: Mutex::new(HashSet::new()),
        }
    }

    pub fn state_path(&self, workspace: &str) -> PathBuf {
        if workspace == DEFAULT_WORKSPACE {
            self.path.clone()
        } else {
            let file = self
                .path
                .file_name()
                .map(|f| f.to_os_string())
                .unwrap_or_else(|| "terraform.tfstate".into());
            self.workspace_dir.join(workspace).join(file)
        }
    }

    fn lock_path(&self, workspace: &str) -> PathBuf {
        let p = self.state_path(workspace);
        let name = p
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        p.with_file_name(format!(".{name}.lock.info"))
    }

    fn open_lock_file(&self, workspace: &str) -> Result<(PathBuf, File)> {
        let lp = self.lock_path(workspace);
        if let Some(parent) = lp.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io("create directory", parent, e))?;
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lp)
            .map_err(|e| Error::io("open lock file", &lp, e))?;
        Ok((lp, f))
    }
}

/// `Ok(true)`: locked now; `Ok(false)`: someone else holds it.
fn try_lock(f: &File) -> std::io::Result<bool> {
    match fs4::FileExt::try_lock(f) {
        Ok(()) => Ok(true),
        Err(fs4::TryLockError::WouldBlock) => Ok(false),
        Err(fs4::TryLockError::Error(e)) => Err(e),
    }
}

fn os_unlock(f: &File) {
    let _ = fs4::FileExt::unlock(f);
}

fn read_info(f: &mut File) -> Option<LockInfo> {
    let mut s = String::new();
    f.seek(SeekFrom::Start(0)).ok()?;
    f.read_to_string(&mut s).ok()?;
    serde_json::from_str(&s).ok()
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, mode
/// 0600, rename over `path`, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        f.write_all(bytes)
            .map_err(|e| Error::io("write", &tmp, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::io("set permissions of", &tmp, e))?;
        }
        f.sync_all().map_err(|e| Error::io("sync", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io("replace", path, e))?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

impl Backend for LocalBackend {
    fn kind(&self) -> &'static str {
        "local"
    }

    fn location(&self, workspace: &str) -> String {
        self.state_path(workspace).display().to_string()
    }

    fn get(&self, workspace: &str) -> Result<Option<State>> {
        let p = self.state_path(workspace);
        let bytes = match std::fs::read(&p) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("read", &p, e)),
        };
        if bytes.is_empty() {
            return Err(Error::Parse {
                path: p.display().to_string(),
                msg: "the file is empty (truncated?)".into(),
            });
        }
        State::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Parse {
                path: p.display().to_string(),
                msg: e.0,
            })
    }

    fn put(&self, workspace: &str, state: &State) -> Result<()> {
        let p = self.state_path(workspace);
        let first = self
            .backed_up
            .lock()
            .map(|mut s| s.insert(workspace.to_string()))
            .unwrap_or(false);
        if first {
            if let Ok(prev) = std::fs::read(&p) {
                let mut b = p.clone().into_os_string();
                b.push(".backup");
                write_atomic(Path::new(&b), &prev)?;
            }
        }
        write_atomic(&p, &state.to_bytes())
    }

    fn lock(&self, workspace: &str, info: &LockInfo) -> Result<String> {
        let (lp, mut f) = self.open_lock_file(workspace)?;
        match try_lock(&f) {
            Ok(true) => {}
            Ok(false) => {
                let holder = read_info(&mut f).unwrap_or_else(|| LockInfo {
                    path: lp.display().to_string(),
                    ..LockInfo::new("(unknown: the lock holder has not written its info yet)")
                });
                return Err(Error::Locked(Box::new(holder)));
            }
            Err(e) => return Err(Error::io("lock", &lp, e)),
        }
        let mut info = info.clone();
        info.path = self.location(workspace);
        let write = f
            .set_len(0)
            .and_then(|_| f.seek(SeekFrom::Start(0)))
            .and_then(|_| f.write_all(info.to_json().as_bytes()))
            .and_then(|_| f.sync_all());
        write.map_err(|e| Error::io("write lock info to", &lp, e))?;
        if let Ok(mut h) = self.held.lock() {
            h.insert(workspace.to_string(), (info.id.clone(), f));
        }
        Ok(info.id)
    }

    fn unlock(&self, workspace: &str, id: &str) -> Result<()> {
        let mut held = self
            .held
            .lock()
            .map_err(|_| Error::Other("lock table poisoned".into()))?;
        if let Some((held_id, f)) = held.get(workspace) {
            if held_id != id {
                return Err(Error::LockIdMismatch {
                    path: self.location(workspace),
                    given: id.into(),
                    held: held_id.clone(),
                });
            }
            let _ = f.set_len(0);
            os_unlock(f);
            held.remove(workspace);
            return Ok(());
        }
        drop(held);
        // Another process's lock (force-unlock). An OS lock cannot be taken away from a live
        // process; a dead process's lock is already gone, only its info is left.
        let (lp, mut f) = self.open_lock_file(workspace)?;
        let info = read_info(&mut f);
        match try_lock(&f) {
            Ok(true) => {
                if info.as_ref().is_some_and(|i| i.id == id) {
                    let _ = f.set_len(0);
                }
                os_unlock(&f);
                match info {
                    Some(i) if i.id != id => Err(Error::LockIdMismatch {
                        path: self.location(workspace),
                        given: id.into(),
                        held: i.id,
                    }),
                    Some(_) => Ok(()),
                    None => Err(Error::NotLocked {
                        path: self.location(workspace),
                    }),
                }
            }
            Ok(false) => match info {
                Some(i) if i.id != id => Err(Error::LockIdMismatch {
                    path: self.location(workspace),
                    given: id.into(),
                    held: i.id,
                }),
                _ => Err(Error::Other(format!(
                    "the local state {} is locked by a running process (the OS releases its lock when it exits); stop that process instead",
                    lp.display()
                ))),
            },
            Err(e) => Err(Error::io("lock", &lp, e)),
        }
    }

    fn lock_holder(&self, workspace: &str) -> Result<Option<LockInfo>> {
        let (_, mut f) = self.open_lock_file(workspace)?;
        match try_lock(&f) {
            Ok(true) => {
                os_unlock(&f);
                Ok(None)
            }
            _ => Ok(read_info(&mut f)),
        }
    }

    fn workspaces(&self) -> Result<Vec<String>> {
        let mut out = vec![DEFAULT_WORKSPACE.to_string()];
        let mut others = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&self.workspace_dir) {
            for e in rd.flatten() {
                if e.path().is_dir() {
                    if let Some(n) = e.file_name().to_str() {
                        others.push(n.to_string());
                    }
                }
            }
        }
        others.sort();
        out.extend(others);
        Ok(out)
    }

    fn delete_workspace(&self, workspace: &str) -> Result<()> {
        if workspace == DEFAULT_WORKSPACE {
            return Err(Error::Other(
                "the default workspace cannot be deleted".into(),
            ));
        }
        let d = self.workspace_dir.join(workspace);
        std::fs::remove_dir_all(&d).map_err(|e| Error::io("delete", &d, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_backup_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(dir.path(), None, None);
        assert!(b.get("default").unwrap().is_none());
        let mut s = State::new();
        b.put("default", &s).unwrap();
        s.serial = 1;
        b.put("default", &s).unwrap();
        s.serial = 2;
        b.put("default", &s).unwrap();
        assert_eq!(b.get("default").unwrap().unwrap().serial, 2);
        // The backup is the state before this process's first write (none: not created), so
        // a second backend instance backs up serial 2.
        assert!(!dir.path().join("terraform.tfstate.backup").exists());
        let b2 = LocalBackend::new(dir.path(), None, None);
        s.serial = 3;
        b2.put("default", &s).unwrap();
        let bk =
            State::from_slice(&std::fs::read(dir.path().join("terraform.tfstate.backup")).unwrap())
                .unwrap();
        assert_eq!(bk.serial, 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = std::fs::metadata(dir.path().join("terraform.tfstate"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(m & 0o777, 0o600);
        }
        b.put("dev", &s).unwrap();
        assert_eq!(b.workspaces().unwrap(), vec!["default", "dev"]);
        assert!(dir
            .path()
            .join("terraform.tfstate.d/dev/terraform.tfstate")
            .exists());
    }

    #[test]
    fn corrupt_file_is_a_parse_error_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("terraform.tfstate");
        std::fs::write(&p, "{\"version\": 4, \"serial\": ").unwrap();
        let b = LocalBackend::new(dir.path(), None, None);
        let e = b.get("default").unwrap_err().to_string();
        assert!(e.contains(&p.display().to_string()), "{e}");
    }

    #[test]
    fn lock_conflict_names_holder_and_checks_id() {
        let dir = tempfile::tempdir().unwrap();
        let a = LocalBackend::new(dir.path(), None, None);
        let b = LocalBackend::new(dir.path(), None, None);
        let id = a.lock("default", &LockInfo::new("apply")).unwrap();
        match b.lock("default", &LockInfo::new("plan")) {
            Err(Error::Locked(h)) => assert_eq!(h.id, id),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            a.unlock("default", "wrong"),
            Err(Error::LockIdMismatch { .. })
        ));
        a.unlock("default", &id).unwrap();
        let id2 = b.lock("default", &LockInfo::new("plan")).unwrap();
        b.unlock("default", &id2).unwrap();
    }
}
