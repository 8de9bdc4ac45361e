//! The module tree: the root module and, recursively, the modules its `module` blocks call.

use super::load::load_module_with;
use super::{Module, ModuleCall};
use crate::diag::{display_path, suggest, Diagnostic, Diagnostics, Sources};
use crate::vfs::{FileSystem, OsFs};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};

/// The path of a module in the tree: the names of the module calls from the root (`[]` = root).
pub type ModulePath = Vec<String>;

/// Renders a module path as `module.a.module.b` (empty for the root).
pub fn module_path_string(path: &[String]) -> String {
    path.iter()
        .map(|p| format!("module.{p}"))
        .collect::<Vec<_>>()
        .join(".")
}

/// A provider configuration as recorded with each object: its key, after the path of the module
/// whose block it is (`aws`, `module.platform.aws`, `module.a.module.b.aws.east`). The state
/// stores it as Terraform does (`module.platform.provider["registry.terraform.io/hashicorp/aws"]`).
pub fn provider_ref(module: &[String], key: &str) -> String {
    if module.is_empty() {
        key.to_string()
    } else {
        format!("{}.{key}", module_path_string(module))
    }
}

/// The inverse of [`provider_ref`]: (module path, key).
pub fn split_provider_ref(r: &str) -> (ModulePath, &str) {
    let mut path = Vec::new();
    let mut rest = r;
    while let Some(after) = rest.strip_prefix("module.") {
        match after.split_once('.') {
            Some((name, tail)) => {
                path.push(name.to_string());
                rest = tail;
            }
            None => break,
        }
    }
    (path, rest)
}

#[derive(Debug, Clone)]
pub struct ModuleNode {
    pub path: ModulePath,
    pub module: Module,
    pub children: IndexMap<String, ModuleNode>,
}

impl ModuleNode {
    /// Every module in the tree, parents before children.
    pub fn walk(&self) -> Vec<&ModuleNode> {
        let mut out = vec![self];
        for c in self.children.values() {
            out.extend(c.walk());
        }
        out
    }

    pub fn descendant(&self, path: &[String]) -> Option<&ModuleNode> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => self.children.get(first)?.descendant(rest),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub root: ModuleNode,
}

impl Config {
    pub fn module(&self, path: &[String]) -> Option<&ModuleNode> {
        self.root.descendant(path)
    }

    /// Which provider block configures provider `key` (`aws`, `aws.east`) for the module at
    /// `path`: the module's own, else its caller's, following the call's `providers` argument
    /// (`providers = { aws = aws.east }`) and otherwise inheriting default (unaliased)
    /// configurations implicitly, as Terraform does. Returns the length of the configuring
    /// module's path (a prefix of `path`) and its key there. Where no module has a block of
    /// that key, the module where the search stopped (the root for default configurations):
    /// the provider's empty configuration applies.
    pub fn resolve_provider(&self, path: &[String], key: &str) -> (usize, String) {
        let mut key = key.to_string();
        let mut depth = path.len();
        while depth > 0 {
            let here = &path[..depth];
            if self
                .module(here)
                .is_some_and(|n| n.module.providers.contains_key(&key))
            {
                break;
            }
            let passed = self
                .module(&path[..depth - 1])
                .and_then(|p| p.module.module_calls.get(&path[depth - 1]))
                .and_then(|c| c.providers.iter().find(|(child, _, _)| *child == key))
                .map(|(_, parent, _)| parent.clone());
            match passed {
                Some(parent_key) => key = parent_key,
                // Aliased configurations are never inherited implicitly.
                None if key.contains('.') => break,
                None => {}
            }
            depth -= 1;
        }
        (depth, key)
    }
}

/// Finds the directory of a non-local module source (installed by `sakk init`).
pub trait SourceResolver {
    /// `key` is the dotted chain of call names from the root (`a.b`).
    fn resolve(&self, key: &str, call: &ModuleCall) -> Result<PathBuf, Diagnostic>;
}

/// A resolver for configurations that only use local sources.
pub struct LocalOnly;

impl SourceResolver for LocalOnly {
    fn resolve(&self, _key: &str, call: &ModuleCall) -> Result<PathBuf, Diagnostic> {
        Err(Diagnostic::error("Module not installed")
            .at(&call.source_range)
            .detail(format!(
                "Module \"{}\" comes from \"{}\", which has not been downloaded.",
                call.name, call.source
            ))
            .hint("run `sakk init` to install the modules this configuration uses"))
    }
}

/// Whether a source string is a local path (`./x`, `../x`), as Terraform decides it.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with(".\\")
        || source.starts_with("..\\")
}

const MAX_DEPTH: usize = 64;

/// Loads the configuration rooted at `dir`: the root module and every module it calls.
pub fn load_config(
    dir: &Path,
    resolver: &dyn SourceResolver,
    sources: &mut Sources,
) -> (Config, Diagnostics) {
    load_config_with(&OsFs, dir, resolver, sources)
}

/// [`load_config`] read through `fs`. (Module directories are still canonicalised on the real
/// filesystem, only to detect modules that call themselves.)
pub fn load_config_with(
    fs: &dyn FileSystem,
    dir: &Path,
    resolver: &dyn SourceResolver,
    sources: &mut Sources,
) -> (Config, Diagnostics) {
    let mut diags = Diagnostics::new();
    let root = load_node(
        fs,
        dir,
        Vec::new(),
        resolver,
        sources,
        &mut diags,
        &mut Vec::new(),
    );
    (Config { root }, diags)
}

fn load_node(
    fs: &dyn FileSystem,
    dir: &Path,
    path: ModulePath,
    resolver: &dyn SourceResolver,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    stack: &mut Vec<PathBuf>,
) -> ModuleNode {
    let (module, ds) = load_module_with(fs, dir, sources);
    diags.extend(ds);
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    stack.push(canonical);
    let mut children = IndexMap::new();
    for (name, call) in &module.module_calls {
        let child_dir = if is_local_source(&call.source) {
            Ok(dir.join(&call.source))
        } else {
            let mut key_parts = path.clone();
            key_parts.push(name.clone());
            resolver.resolve(&key_parts.join("."), call)
        };
        let child_dir = match child_dir {
            Ok(d) => d,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        if !fs.metadata(&child_dir).is_ok_and(|m| m.is_dir()) {
            diags.push(
                Diagnostic::error("Module directory not found")
                    .at(&call.source_range)
                    .detail(format!(
                        "Module \"{name}\" points at {}, which is not a directory.",
                        display_path(&child_dir)
                    ))
                    .hint("fix the source path; local paths are relative to the calling module's directory"),
            );
            continue;
        }
        let canon = child_dir
            .canonicalize()
            .unwrap_or_else(|_| child_dir.clone());
        if stack.contains(&canon) || stack.len() >= MAX_DEPTH {
            diags.push(
                Diagnostic::error("Module calls itself")
                    .at(&call.source_range)
                    .detail(format!(
                        "Module \"{name}\" loads {}, which is already being loaded further up the module tree; this recursion would never end.",
                        display_path(&child_dir)
                    ))
                    .hint("break the loop of module sources"),
            );
            continue;
        }
        let mut child_path = path.clone();
        child_path.push(name.clone());
        let child = load_node(fs, &child_dir, child_path, resolver, sources, diags, stack);
        check_inputs(call, &child.module, diags);
        children.insert(name.clone(), child);
    }
    stack.pop();
    ModuleNode {
        path,
        module,
        children,
    }
}

/// Every input a call passes must be a variable of the child; every required variable must be
/// passed.
fn check_inputs(call: &ModuleCall, child: &Module, diags: &mut Diagnostics) {
    for (name, attr) in &call.inputs {
        if !child.variables.contains_key(name) {
            let mut d = Diagnostic::error("Unsupported argument")
                .at(&attr.name_range)
                .detail(format!(
                    "Module \"{}\" ({}) has no input variable named \"{name}\".",
                    call.name, call.source
                ));
            d = match suggest(name, child.variables.keys().map(String::as_str)) {
                Some(s) => d.hint(format!("did you mean \"{s}\"?")),
                None => d.hint(format!(
                    "remove it, or declare variable \"{name}\" in the module"
                )),
            };
            diags.push(d);
        }
    }
    for (name, v) in &child.variables {
        if v.is_required() && !call.inputs.contains_key(name) {
            diags.push(
                Diagnostic::error("Missing required argument")
                    .at(&call.decl_range)
                    .detail(format!(
                        "The argument \"{name}\" is required, but no definition was found: module \"{}\" declares it at {} without a default.",
                        call.name, v.decl_range
                    ))
                    .related("variable declared here", &v.decl_range)
                    .hint(format!("add {name} = ... to the module block")),
            );
        }
    }
}

/// Resolves Git (and other remote) sources through the manifest `sakk init` wrote in
/// `.sakk/modules/modules.json`.
pub struct ManifestResolver {
    root_dir: PathBuf,
    manifest: Option<super::manifest::Manifest>,
    /// A corrupt manifest, reported on first use.
    error: Option<String>,
}

impl ManifestResolver {
    pub fn new(root_dir: &Path) -> Self {
        ManifestResolver::new_with(&OsFs, root_dir)
    }

    /// [`ManifestResolver::new`] reading the manifest through `fs`.
    pub fn new_with(fs: &dyn FileSystem, root_dir: &Path) -> Self {
        let (manifest, error) = match super::manifest::Manifest::load_with(fs, root_dir) {
            Ok(m) => (m, None),
            Err(e) => (None, Some(e)),
        };
        ManifestResolver {
            root_dir: root_dir.to_path_buf(),
            manifest,
            error,
        }
    }
}

impl SourceResolver for ManifestResolver {
    fn resolve(&self, key: &str, call: &ModuleCall) -> Result<PathBuf, Diagnostic> {
        if let Err(e) = super::source::parse(&call.source) {
            return Err(Diagnostic::error("Invalid module source address")
                .at(&call.source_range)
                .detail(e)
                .hint("use a local path (./modules/x) or a git:: address"));
        }
        if let Some(e) = &self.error {
            return Err(Diagnostic::error("Module manifest is unreadable")
                .at(&call.source_range)
                .detail(e.clone())
                .hint("run `sakk init` to reinstall the modules"));
        }
        let entry = self.manifest.as_ref().and_then(|m| m.lookup(key));
        match entry {
            Some(e) if e.source == call.source => Ok(self.root_dir.join(&e.dir)),
            Some(e) => Err(Diagnostic::error("Module source has changed")
                .at(&call.source_range)
                .detail(format!(
                    "Module \"{}\" was installed from \"{}\", but the configuration now says \"{}\".",
                    call.name, e.source, call.source
                ))
                .hint("run `sakk init` to install the new source")),
            None => LocalOnly.resolve(key, call),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(files: &[(&str, &str)]) -> Config {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        let (c, diags) = load_config(dir.path(), &LocalOnly, &mut Sources::default());
        assert!(!diags.has_errors(), "{diags:?}");
        c
    }

    #[test]
    fn provider_refs_round_trip() {
        for (path, key) in [
            (vec![], "aws"),
            (vec!["platform"], "aws"),
            (vec!["a", "b"], "aws.east"),
        ] {
            let path: Vec<String> = path.into_iter().map(str::to_string).collect();
            let r = provider_ref(&path, key);
            assert_eq!(split_provider_ref(&r), (path, key), "{r}");
        }
        assert_eq!(
            provider_ref(&["a".into(), "b".into()], "aws.east"),
            "module.a.module.b.aws.east"
        );
    }

    #[test]
    fn providers_resolve_through_ancestors_and_the_providers_argument() {
        let c = config(&[
            (
                "main.tf",
                "provider \"aws\" {}\nprovider \"aws\" {\n  alias = \"west\"\n}\nmodule \"a\" {\n  source = \"./a\"\n}\nmodule \"w\" {\n  source    = \"./a\"\n  providers = { aws = aws.west }\n}\nmodule \"own\" {\n  source = \"./own\"\n}\n",
            ),
            ("a/main.tf", "module \"b\" {\n  source = \"../b\"\n}\n"),
            ("b/main.tf", ""),
            (
                "own/main.tf",
                "provider \"aws\" {}\nmodule \"b\" {\n  source = \"../b\"\n}\n",
            ),
        ]);
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // Inherited from the root, two levels down.
        assert_eq!(
            c.resolve_provider(&p(&["a", "b"]), "aws"),
            (0, "aws".into())
        );
        // Passed in as another configuration: the root's alias.
        assert_eq!(
            c.resolve_provider(&p(&["w", "b"]), "aws"),
            (0, "aws.west".into())
        );
        // The nearest module with its own block.
        assert_eq!(
            c.resolve_provider(&p(&["own", "b"]), "aws"),
            (1, "aws".into())
        );
        // Aliases are not inherited implicitly: the search stops where it is used.
        assert_eq!(
            c.resolve_provider(&p(&["a", "b"]), "aws.west"),
            (2, "aws.west".into())
        );
        // No block anywhere: the root, with the provider's empty configuration.
        assert_eq!(
            c.resolve_provider(&p(&["a"]), "gitops"),
            (0, "gitops".into())
        );
    }
}
