//! The installed-modules manifest, `.sakk/modules/modules.json`, written by `sakk init`.
//!
//! It maps each module call (by key: the dotted chain of module call names from the root, the
//! root itself being `""`) to the directory holding that module's files, so that the loader
//! can find modules without network access, and `sakk init` can reuse what it fetched before.
//!
//! ```json
//! {"modules": [
//!   {"key": "", "source": "", "dir": ".", "commit": null, "ref": null},
//!   {"key": "sak_kubeflow.network", "source": "git::https://...//net?ref=v1",
//!    "dir": ".sakk/modules/sak_kubeflow.network/net", "commit": "0123abcd...", "ref": "v1"}
//! ]}
//! ```

use crate::vfs::{FileSystem, OsFs};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The directory, relative to the root module's directory, where fetched modules live.
pub const MODULES_DIR: &str = ".sakk/modules";
/// The manifest's file name inside [`MODULES_DIR`].
pub const MANIFEST_FILE: &str = "modules.json";

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub modules: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The dotted chain of module call names from the root (`""` for the root module).
    pub key: String,
    /// The `source` argument as written in the configuration.
    #[serde(default)]
    pub source: String,
    /// The module's directory relative to the root module's directory, with `/` separators.
    pub dir: String,
    /// The Git commit id installed, `None` for local modules.
    #[serde(default)]
    pub commit: Option<String>,
    /// The `?ref=` asked for, if any.
    #[serde(default, rename = "ref")]
    pub git_ref: Option<String>,
}

impl Manifest {
    /// The manifest's path for the root module in `root_dir`.
    pub fn path(root_dir: &Path) -> PathBuf {
        root_dir.join(MODULES_DIR).join(MANIFEST_FILE)
    }

    /// Loads the manifest of the root module in `root_dir`. `Ok(None)` if there is none (init
    /// has not run, or the configuration has no module calls). A file that cannot be read or
    /// parsed is an error naming the path.
    pub fn load(root_dir: &Path) -> Result<Option<Manifest>, String> {
        Manifest::load_with(&OsFs, root_dir)
    }

    /// [`Manifest::load`] read through `fs`.
    pub fn load_with(fs: &dyn FileSystem, root_dir: &Path) -> Result<Option<Manifest>, String> {
        let path = Self::path(root_dir);
        let text = fs.read(&path).map_err(std::io::Error::from).and_then(|b| {
            String::from_utf8(b).map_err(|_| {
                // What `read_to_string` says.
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                )
            })
        });
        let text = match text {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(format!(
                    "cannot read the module manifest {}: {e}; re-run `sakk init`",
                    path.display()
                ))
            }
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            format!(
                "the module manifest {} is corrupt ({e}); re-run `sakk init` to reinstall the \
                 modules",
                path.display()
            )
        })
    }

    /// The entry for a module key (`""` for the root module).
    pub fn lookup(&self, key: &str) -> Option<&ManifestEntry> {
        self.modules.iter().find(|m| m.key == key)
    }

    /// Writes the manifest atomically: to a temporary file in the same directory, then renamed
    /// over `modules.json`, so a reader never sees a half-written file.
    pub fn save(&self, root_dir: &Path) -> Result<(), String> {
        let path = Self::path(root_dir);
        let dir = root_dir.join(MODULES_DIR);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| format!("cannot encode the module manifest: {e}"))?;
        text.push('\n');
        let tmp = dir.join(format!(".{MANIFEST_FILE}.tmp-{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("cannot write the module manifest {}: {e}", path.display())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            modules: vec![
                ManifestEntry {
                    key: String::new(),
                    source: String::new(),
                    dir: ".".into(),
                    commit: None,
                    git_ref: None,
                },
                ManifestEntry {
                    key: "sak_kubeflow.network".into(),
                    source: "git::https://example.com/m.git//net?ref=v1".into(),
                    dir: ".sakk/modules/sak_kubeflow.network/net".into(),
                    commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                    git_ref: Some("v1".into()),
                },
            ],
        }
    }

    #[test]
    fn missing_is_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(Manifest::load(dir.path()), Ok(None));
    }

    #[test]
    fn save_load_roundtrip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let m = sample();
        m.save(dir.path()).expect("save");
        let loaded = Manifest::load(dir.path()).expect("load").expect("present");
        assert_eq!(loaded, m);
        assert_eq!(
            loaded
                .lookup("sak_kubeflow.network")
                .map(|e| e.dir.as_str()),
            Some(".sakk/modules/sak_kubeflow.network/net")
        );
        assert_eq!(loaded.lookup("").map(|e| e.dir.as_str()), Some("."));
        assert!(loaded.lookup("nope").is_none());
        // The JSON uses the documented field names, and no temporary file is left behind.
        let text = std::fs::read_to_string(Manifest::path(dir.path())).expect("read");
        assert!(text.contains("\"ref\": \"v1\""), "{text}");
        assert!(text.contains("\"commit\": null"), "{text}");
        let names: Vec<_> = std::fs::read_dir(dir.path().join(MODULES_DIR))
            .expect("readdir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(MANIFEST_FILE)]);
    }

    #[test]
    fn corrupt_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Manifest::path(dir.path());
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, "{\"modules\": [").expect("write");
        let e = Manifest::load(dir.path()).expect_err("corrupt");
        assert!(e.contains(&path.display().to_string()), "{e}");
        assert!(e.contains("sakk init"), "{e}");
    }

    #[test]
    fn missing_optional_fields_default() {
        let m: Manifest =
            serde_json::from_str(r#"{"modules":[{"key":"a","dir":"x"}]}"#).expect("parse");
        assert_eq!(m.modules[0].commit, None);
        assert_eq!(m.modules[0].git_ref, None);
    }
}
