//! Module installer: what `sakk init` does with `module` blocks.
//!
//! [`install`] walks the module tree from the root module. Local sources (`./x`, `../x`) are
//! directories relative to the calling module's directory (also inside fetched modules); Git
//! sources are fetched with git2 into `.sakk/modules/<key>/` and their `//subdir` is the module's
//! directory. Every module is recorded in `.sakk/modules/modules.json` (see
//! [`engine::config::manifest`]), which is written only when the whole tree installed.
//!
//! Installing is all or nothing: fetched packages go to a staging directory first and are moved
//! into place, and the manifest saved, only once every module installed. A failed `sakk init`
//! leaves the previous installation and manifest as they were.
//!
//! A Git module recorded in the manifest with the same source and whose directory exists is
//! reused without network access, unless [`InstallOptions::upgrade`] is set.

mod git;

use engine::config::manifest::{Manifest, ManifestEntry, MODULES_DIR};
use engine::config::source::{self, GitSource, ModuleSource};
use std::collections::HashMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// A `module` block as the discovery callback reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    /// The module call's name (the block label).
    pub name: String,
    /// The `source` argument as written.
    pub source: String,
    /// Where the call is, `file:line:col`, for messages.
    pub location: String,
}

#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Fetch Git modules again even when the manifest says they are installed (`sakk init
    /// -upgrade`): branches move to their newest commit.
    pub upgrade: bool,
}

/// What happened to one module call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A local directory: nothing to fetch.
    Local,
    /// Downloaded from its Git remote.
    Downloaded,
    /// The same repository and ref was downloaded for another call (the key) in this install;
    /// copied from it without downloading again.
    CopiedFrom(String),
    /// Already installed with this source; reused without network access.
    Reused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledModule {
    /// The dotted chain of module call names from the root.
    pub key: String,
    /// The source as written.
    pub source: String,
    /// The module's directory, relative to the root module's directory, with `/`.
    pub dir: String,
    /// The commit installed (Git modules).
    pub commit: Option<String>,
    pub action: Action,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallReport {
    /// Every module call in the tree, in depth-first order of the configuration.
    pub modules: Vec<InstalledModule>,
    /// Things the user may want to know that did not stop the install.
    pub warnings: Vec<String>,
}

impl InstallReport {
    /// Modules fetched by this install (downloaded, or copied from a download of the same
    /// repository and ref).
    pub fn fetched(&self) -> impl Iterator<Item = &InstalledModule> {
        self.modules
            .iter()
            .filter(|m| matches!(m.action, Action::Downloaded | Action::CopiedFrom(_)))
    }
    /// Git modules reused from a previous install.
    pub fn reused(&self) -> impl Iterator<Item = &InstalledModule> {
        self.modules.iter().filter(|m| m.action == Action::Reused)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The `source` string does not parse.
    InvalidSource,
    /// A registry or non-git remote source.
    Unsupported,
    /// An invalid module call (bad or duplicate name).
    InvalidCall,
    /// The discovery callback failed (the module's files could not be read or parsed).
    Discover,
    /// A local source's directory does not exist, or leaves its package.
    LocalDir,
    /// The Git remote could not be reached.
    Unreachable,
    /// The Git remote refused our credentials.
    Auth,
    /// `?ref=` names no tag, branch or commit.
    UnknownRef,
    /// The `//subdir` does not exist in the repository.
    MissingSubdir,
    /// A module includes itself, directly or indirectly.
    Cycle,
    /// A file system error under `.sakk/modules`, or another git failure.
    Io,
}

/// Why the install failed. Rendered (`Display`) as
/// `<location>: module "<key>" (source "<source>"): <message>` and a hint line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallError {
    kind: ErrorKind,
    // Boxed to keep `Result<_, InstallError>` small.
    inner: Box<ErrorDetail>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct ErrorDetail {
    module_key: String,
    location: Option<String>,
    module_source: Option<String>,
    message: String,
    hint: Option<String>,
}

impl InstallError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        InstallError {
            kind,
            inner: Box::new(ErrorDetail {
                message: message.into(),
                ..ErrorDetail::default()
            }),
        }
    }
    fn at(mut self, key: &str, call: &CallInfo) -> Self {
        self.inner.module_key = key.to_string();
        self.inner.location = Some(call.location.clone());
        self.inner.module_source = Some(call.source.clone());
        self
    }
    fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.inner.hint = Some(hint.into());
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The key of the module call concerned (empty for the root module).
    pub fn module_key(&self) -> &str {
        &self.inner.module_key
    }
    /// `file:line:col` of the module call, if the error is about one.
    pub fn location(&self) -> Option<&str> {
        self.inner.location.as_deref()
    }
    /// The source as written, if the error is about a module call.
    pub fn module_source(&self) -> Option<&str> {
        self.inner.module_source.as_deref()
    }
    /// What failed (one or two sentences, without the location).
    pub fn message(&self) -> &str {
        &self.inner.message
    }
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&str> {
        self.inner.hint.as_deref()
    }
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.inner;
        if let Some(loc) = &d.location {
            write!(f, "{loc}: ")?;
        }
        if let Some(src) = &d.module_source {
            write!(f, "module {:?} (source {src:?}): ", d.module_key)?;
        }
        f.write_str(&d.message)?;
        if let Some(h) = &d.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InstallError {}

/// Installs the module tree of the root module in `root_dir`; see the crate documentation.
///
/// `discover(dir)` lists the module calls of the module whose files are in `dir`.
pub fn install(
    root_dir: &Path,
    opts: &InstallOptions,
    discover: &mut dyn FnMut(&Path) -> Result<Vec<CallInfo>, String>,
) -> Result<InstallReport, InstallError> {
    let root = std::path::absolute(root_dir)
        .map(|p| normalize(&p))
        .map_err(|e| {
            InstallError::new(
                ErrorKind::Io,
                format!("cannot resolve the directory {}: {e}", root_dir.display()),
            )
        })?;
    let mut report = InstallReport::default();
    let old = match Manifest::load(&root) {
        Ok(m) => m,
        Err(e) => {
            report
                .warnings
                .push(format!("{e}; installing every module again"));
            None
        }
    };
    let mut inst = Installer {
        modules_dir: root.join(MODULES_DIR),
        root: root.clone(),
        opts,
        old,
        discover,
        entries: vec![ManifestEntry {
            key: String::new(),
            source: String::new(),
            dir: ".".into(),
            commit: None,
            git_ref: None,
        }],
        report,
        staging: None,
        repos: HashMap::new(),
        staged: Vec::new(),
    };
    let root_module = Module {
        key: String::new(),
        actual: root.clone(),
        final_dir: root.clone(),
        package: Package::Root,
        identity: "local:.".into(),
    };
    let mut ancestors = Vec::new();
    inst.visit(&root_module, &mut ancestors)?;
    inst.commit()?;
    Ok(inst.report)
}

/// The package a module's files belong to: local sources may move within it, never out of a
/// fetched one.
#[derive(Debug, Clone)]
enum Package {
    /// The root module's own tree (local paths may go anywhere).
    Root,
    /// A fetched Git repository: its package address and where its root is during the install.
    Git { addr: String, actual_root: PathBuf },
}

#[derive(Debug, Clone)]
struct Module {
    key: String,
    /// Where the module's files are during this install (a staging directory for fresh fetches).
    actual: PathBuf,
    /// Where they will be once the install is committed.
    final_dir: PathBuf,
    package: Package,
    /// What makes two modules "the same module" for cycle detection.
    identity: String,
}

struct FetchedRepo {
    bare: PathBuf,
    commit: git2::Oid,
    first_key: String,
}

struct Installer<'a> {
    root: PathBuf,
    modules_dir: PathBuf,
    opts: &'a InstallOptions,
    old: Option<Manifest>,
    discover: &'a mut dyn FnMut(&Path) -> Result<Vec<CallInfo>, String>,
    entries: Vec<ManifestEntry>,
    report: InstallReport,
    /// `.sakk/modules/.staging-*`, created on the first fetch, removed when dropped.
    staging: Option<tempfile::TempDir>,
    /// Fetched packages by package address (repository + ref), so each is fetched once.
    repos: HashMap<String, FetchedRepo>,
    /// (key, staging directory) of each fetched package, to move into `.sakk/modules/<key>`.
    staged: Vec<(String, PathBuf)>,
}

const MAX_DEPTH: usize = 64;

impl Installer<'_> {
    fn visit(&mut self, module: &Module, ancestors: &mut Vec<Module>) -> Result<(), InstallError> {
        let calls = (self.discover)(&module.actual).map_err(|e| {
            let mut err = InstallError::new(
                ErrorKind::Discover,
                format!(
                    "cannot read the module in {}: {e}",
                    self.display_dir(&module.final_dir)
                ),
            );
            err.inner.module_key = module.key.clone();
            err
        })?;

        let mut seen: HashMap<&str, &CallInfo> = HashMap::new();
        for call in &calls {
            let key = if module.key.is_empty() {
                call.name.clone()
            } else {
                format!("{}.{}", module.key, call.name)
            };
            if !valid_name(&call.name) {
                return Err(InstallError::new(
                    ErrorKind::InvalidCall,
                    format!("{:?} is not a valid module call name", call.name),
                )
                .at(&key, call)
                .with_hint("a name starts with a letter or underscore and contains only letters, digits, underscores and dashes"));
            }
            if let Some(first) = seen.insert(&call.name, call) {
                return Err(InstallError::new(
                    ErrorKind::InvalidCall,
                    format!(
                        "duplicate module call {:?}; the first one is at {}",
                        call.name, first.location
                    ),
                )
                .at(&key, call)
                .with_hint(
                    "rename one of them: module call names must be unique within a module",
                ));
            }

            let parsed = source::parse(&call.source)
                .map_err(|e| InstallError::new(ErrorKind::InvalidSource, e).at(&key, call))?;
            let child = match parsed {
                ModuleSource::Local(l) => self.local(module, &key, call, l.path())?,
                ModuleSource::Git(g) => self.git(&key, call, &g)?,
                ModuleSource::Registry(r) => {
                    let guess = format!(
                        "git::https://github.com/{}/terraform-{}-{}.git?ref=<version tag>",
                        r.namespace, r.system, r.name
                    );
                    let mut hint = format!(
                        "use a git:: source pointing at the module's repository, for example {guess}"
                    );
                    if r.host.is_none() {
                        hint.push_str(&format!(
                            "; if you meant a directory next to this module, write \"./{}\"",
                            call.source
                        ));
                    }
                    return Err(InstallError::new(
                        ErrorKind::Unsupported,
                        "module registry sources are not supported yet; use a git:: source",
                    )
                    .at(&key, call)
                    .with_hint(hint));
                }
                ModuleSource::Other(o) => {
                    let hint = match o.getter.as_str() {
                        "http" if o.address.ends_with(".git") || o.address.contains(".git?") => {
                            format!("for a Git repository over https write git::{}", o.address)
                        }
                        "bitbucket" => format!(
                            "write the Git URL explicitly, e.g. git::https://{}.git",
                            o.address.trim_end_matches(".git")
                        ),
                        _ => "publish the module in a Git repository and use a git:: source"
                            .to_string(),
                    };
                    return Err(InstallError::new(
                        ErrorKind::Unsupported,
                        format!(
                            "{} module sources are not supported yet; use a git:: source",
                            o.getter
                        ),
                    )
                    .at(&key, call)
                    .with_hint(hint));
                }
            };

            ancestors.push(module.clone());
            if let Some(pos) = ancestors.iter().position(|a| a.identity == child.identity) {
                let chain: Vec<String> = ancestors[pos..]
                    .iter()
                    .map(|a| display_key(&a.key))
                    .chain(std::iter::once(display_key(&key)))
                    .collect();
                return Err(InstallError::new(
                    ErrorKind::Cycle,
                    format!(
                        "the module includes itself: {} are the same module",
                        chain.join(" -> ")
                    ),
                )
                .at(&key, call)
                .with_hint("a module cannot call itself, directly or through other modules; remove or change this module call"));
            }
            if ancestors.len() >= MAX_DEPTH {
                return Err(InstallError::new(
                    ErrorKind::Cycle,
                    format!("module calls are nested more than {MAX_DEPTH} deep"),
                )
                .at(&key, call)
                .with_hint("check for modules that call each other"));
            }
            self.visit(&child, ancestors)?;
            ancestors.pop();
        }
        Ok(())
    }

    fn local(
        &mut self,
        parent: &Module,
        key: &str,
        call: &CallInfo,
        path: &str,
    ) -> Result<Module, InstallError> {
        let actual = normalize(&parent.actual.join(path));
        let final_dir = normalize(&parent.final_dir.join(path));
        let identity = match &parent.package {
            Package::Root => format!("local:{}", rel_string(&self.root, &final_dir)),
            Package::Git {
                addr, actual_root, ..
            } => {
                let Ok(inside) = actual.strip_prefix(actual_root) else {
                    return Err(InstallError::new(
                        ErrorKind::LocalDir,
                        format!("the path {path:?} leads outside of the fetched package {addr}"),
                    )
                    .at(key, call)
                    .with_hint("a module inside a Git repository can only use local paths within that repository; use a git:: source for the other module"));
                };
                format!("{addr}//{}", slash_path(inside))
            }
        };
        if !actual.is_dir() {
            return Err(InstallError::new(
                ErrorKind::LocalDir,
                format!(
                    "the module directory {} does not exist",
                    self.display_dir(&final_dir)
                ),
            )
            .at(key, call)
            .with_hint(format!(
                "a local source is relative to the directory of the module that calls it ({})",
                self.display_dir(&parent.final_dir)
            )));
        }
        let dir = rel_string(&self.root, &final_dir);
        self.entries.push(ManifestEntry {
            key: key.to_string(),
            source: call.source.clone(),
            dir: dir.clone(),
            commit: None,
            git_ref: None,
        });
        self.report.modules.push(InstalledModule {
            key: key.to_string(),
            source: call.source.clone(),
            dir,
            commit: None,
            action: Action::Local,
        });
        Ok(Module {
            key: key.to_string(),
            actual,
            final_dir,
            package: parent.package.clone(),
            identity,
        })
    }

    fn git(&mut self, key: &str, call: &CallInfo, g: &GitSource) -> Result<Module, InstallError> {
        let addr = g.package_addr();
        let identity = format!("{addr}//{}", g.subdir);
        let final_root = self.modules_dir.join(key);

        // Reuse what a previous install put in place, without network access.
        if !self.opts.upgrade {
            if let Some(old) = self
                .old
                .as_ref()
                .and_then(|m| m.lookup(key))
                .filter(|e| e.source == call.source && e.commit.is_some())
            {
                let dir = normalize(&self.root.join(&old.dir));
                if dir.is_dir() && dir.starts_with(&final_root) {
                    let entry = ManifestEntry {
                        key: key.to_string(),
                        ..old.clone()
                    };
                    self.report.modules.push(InstalledModule {
                        key: key.to_string(),
                        source: call.source.clone(),
                        dir: entry.dir.clone(),
                        commit: entry.commit.clone(),
                        action: Action::Reused,
                    });
                    self.entries.push(entry);
                    return Ok(Module {
                        key: key.to_string(),
                        actual: dir.clone(),
                        final_dir: dir,
                        package: Package::Git {
                            addr,
                            actual_root: final_root,
                        },
                        identity,
                    });
                }
            }
        }

        let staging = self.staging_dir()?;
        let action = match self.repos.get(&addr) {
            Some(r) => Action::CopiedFrom(r.first_key.clone()),
            None => {
                let bare = staging.join(format!(".repo-{}", self.repos.len()));
                let commit =
                    git::fetch(&g.url, g.git_ref.as_deref(), g.depth, &bare).map_err(|e| {
                        let kind = match e.kind {
                            git::FetchErrorKind::Unreachable => ErrorKind::Unreachable,
                            git::FetchErrorKind::Auth => ErrorKind::Auth,
                            git::FetchErrorKind::UnknownRef => ErrorKind::UnknownRef,
                            git::FetchErrorKind::Other => ErrorKind::Io,
                        };
                        InstallError::new(kind, e.message)
                            .at(key, call)
                            .with_hint(e.hint)
                    })?;
                self.repos.insert(
                    addr.clone(),
                    FetchedRepo {
                        bare,
                        commit,
                        first_key: key.to_string(),
                    },
                );
                Action::Downloaded
            }
        };
        let Some(repo) = self.repos.get(&addr) else {
            return Err(InstallError::new(
                ErrorKind::Io,
                "internal error: fetched repository missing",
            )
            .at(key, call));
        };
        let commit = repo.commit;
        let actual_root = staging.join(key);
        git::checkout(&repo.bare, commit, &actual_root).map_err(|e| {
            InstallError::new(
                ErrorKind::Io,
                format!("cannot check out commit {commit} of {}: {e}", g.url),
            )
            .at(key, call)
            .with_hint(format!(
                "check that {} is writable and the disk is not full",
                self.display_dir(&self.modules_dir)
            ))
        })?;
        self.staged.push((key.to_string(), actual_root.clone()));

        let actual = normalize(&actual_root.join(&g.subdir));
        let final_dir = normalize(&final_root.join(&g.subdir));
        if !actual.is_dir() {
            let dirs = git::top_dirs(&actual_root);
            let at = g
                .git_ref
                .as_ref()
                .map(|r| format!("{r} (commit {})", short(commit)))
                .unwrap_or_else(|| format!("commit {}", short(commit)));
            return Err(InstallError::new(
                ErrorKind::MissingSubdir,
                format!(
                    "the subdirectory {:?} does not exist in {} at {at}",
                    g.subdir, g.url
                ),
            )
            .at(key, call)
            .with_hint(format!(
                "check the //subdir part of the source; the repository's top-level directories are: {}",
                if dirs.is_empty() { "(none)".to_string() } else { dirs.join(", ") }
            )));
        }

        let dir = rel_string(&self.root, &final_dir);
        let commit_hex = commit.to_string();
        self.entries.push(ManifestEntry {
            key: key.to_string(),
            source: call.source.clone(),
            dir: dir.clone(),
            commit: Some(commit_hex.clone()),
            git_ref: g.git_ref.clone(),
        });
        self.report.modules.push(InstalledModule {
            key: key.to_string(),
            source: call.source.clone(),
            dir,
            commit: Some(commit_hex),
            action,
        });
        Ok(Module {
            key: key.to_string(),
            actual,
            final_dir,
            package: Package::Git { addr, actual_root },
            identity,
        })
    }

    fn staging_dir(&mut self) -> Result<PathBuf, InstallError> {
        if let Some(s) = &self.staging {
            return Ok(s.path().to_path_buf());
        }
        let io = |e: std::io::Error| {
            InstallError::new(
                ErrorKind::Io,
                format!(
                    "cannot create a staging directory in {}: {e}",
                    self.display_dir(&self.modules_dir)
                ),
            )
        };
        std::fs::create_dir_all(&self.modules_dir).map_err(io)?;
        let dir = tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&self.modules_dir)
            .map_err(io)?;
        let path = dir.path().to_path_buf();
        self.staging = Some(dir);
        Ok(path)
    }

    /// Moves the fetched packages into place, removes packages of module calls that are gone,
    /// and saves the manifest.
    fn commit(&mut self) -> Result<(), InstallError> {
        let io = |what: String, e: std::io::Error| {
            InstallError::new(ErrorKind::Io, format!("{what}: {e}")).with_hint(
                "re-run `sakk init`; if it keeps failing, delete .sakk/modules and re-run it",
            )
        };
        for (key, staged) in &self.staged {
            let dest = self.modules_dir.join(key);
            if dest.exists() {
                std::fs::remove_dir_all(&dest)
                    .map_err(|e| io(format!("cannot remove {}", self.display_dir(&dest)), e))?;
            }
            std::fs::rename(staged, &dest).map_err(|e| {
                io(
                    format!("cannot move a module into {}", self.display_dir(&dest)),
                    e,
                )
            })?;
        }
        // Packages of Git module calls no longer in the configuration.
        if let Some(old) = &self.old {
            for e in old.modules.iter().filter(|e| e.commit.is_some()) {
                let still = self
                    .entries
                    .iter()
                    .any(|n| n.key == e.key && n.commit.is_some());
                if !still && !e.key.is_empty() && e.key.split('.').all(valid_name) {
                    let dir = self.modules_dir.join(&e.key);
                    if dir.is_dir() {
                        if let Err(err) = std::fs::remove_dir_all(&dir) {
                            self.report.warnings.push(format!(
                                "cannot remove the unused module directory {}: {err}",
                                self.display_dir(&dir)
                            ));
                        }
                    }
                }
            }
        }
        // Staging directories left by an interrupted install.
        let ours = self.staging.as_ref().map(|s| s.path().to_path_buf());
        if let Ok(rd) = std::fs::read_dir(&self.modules_dir) {
            for e in rd.filter_map(Result::ok) {
                let p = e.path();
                let stale = e.file_name().to_string_lossy().starts_with(".staging-")
                    && Some(&p) != ours.as_ref()
                    && p.is_dir();
                if stale {
                    let _ = std::fs::remove_dir_all(&p);
                }
            }
        }
        let manifest = Manifest {
            modules: std::mem::take(&mut self.entries),
        };
        manifest
            .save(&self.root)
            .map_err(|e| InstallError::new(ErrorKind::Io, e))
    }

    fn display_dir(&self, p: &Path) -> String {
        let rel = rel_string(&self.root, p);
        if rel == "." {
            "the root module's directory".to_string()
        } else {
            rel
        }
    }
}

fn display_key(key: &str) -> String {
    if key.is_empty() {
        "(root)".to_string()
    } else {
        format!("module.{}", key.replace('.', ".module."))
    }
}

fn short(oid: git2::Oid) -> String {
    oid.to_string().chars().take(12).collect()
}

fn valid_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Lexical normalisation: removes `.` and resolves `..` against earlier components.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `to` relative to `from` (both absolute and normalised), with `/` separators.
fn rel_string(from: &Path, to: &Path) -> String {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

fn slash_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let root = Path::new("/w/root");
        assert_eq!(rel_string(root, Path::new("/w/root")), ".");
        assert_eq!(rel_string(root, Path::new("/w/root/a/b")), "a/b");
        assert_eq!(rel_string(root, Path::new("/w/shared")), "../shared");
        assert_eq!(
            normalize(Path::new("/w/root/./a/../b")),
            PathBuf::from("/w/root/b")
        );
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
    }

    #[test]
    fn names() {
        assert!(valid_name("sak_kubeflow"));
        assert!(valid_name("net-1"));
        assert!(!valid_name(""));
        assert!(!valid_name("1x"));
        assert!(!valid_name("a/b"));
        assert!(!valid_name(".."));
    }

    #[test]
    fn error_display() {
        let call = CallInfo {
            name: "net".into(),
            source: "git::https://x/r.git".into(),
            location: "main.tf:3:3".into(),
        };
        let e = InstallError::new(ErrorKind::UnknownRef, "no such ref")
            .at("net", &call)
            .with_hint("fix it");
        assert_eq!(
            e.to_string(),
            "main.tf:3:3: module \"net\" (source \"git::https://x/r.git\"): no such ref\n  hint: fix it"
        );
    }
}
