//! `sakk plan --changed-since REF`: the root modules under a directory that a change affects.
//!
//! Three steps:
//! 1. the files changed between REF's tree and the working directory (git2; staged, unstaged and
//!    untracked-but-not-ignored files; a deletion or a rename counts for both paths);
//! 2. the module-call graph: every directory of `*.tf` / `*.tf.json` files under the directory,
//!    each read with the engine's [`load_module`], and the local modules they call (`./x`,
//!    `../x`), followed transitively, also outside the directory;
//! 3. the pure join of the two ([`affected_roots`]): a changed file belongs to the nearest module
//!    directory that contains it; a root module (a searched directory no other module calls) is
//!    affected when a changed file belongs to it or to a module it calls, transitively.
//!
//! A directory whose configuration cannot be read counts as affected (with a warning): its
//! calls may be incomplete, and planning it shows the error.

use crate::ui::Ui;
use engine::config::load::{config_files, load_module};
use engine::config::source::{self, ModuleSource};
use engine::diag::Sources;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// Directory names never searched for modules, and never the home of a changed file (besides
/// every hidden directory).
const SKIPPED_DIRS: &[&str] = &[".sakk", ".terraform", "target", "node_modules"];

/// Whether a directory with this name is skipped (hidden, or a tool's working directory).
fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') || SKIPPED_DIRS.contains(&name)
}

/// One module directory of the call graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleDir {
    /// The directories of the local modules it calls.
    pub calls: BTreeSet<PathBuf>,
    /// Found by searching the directory (a root-module candidate), not only reached by a call.
    pub searched: bool,
    /// Its configuration could not be read: its calls may be incomplete, so it counts as changed.
    pub broken: bool,
}

/// Module directories (relative to the repository's top when inside it, else absolute) and
/// what each calls.
pub type ModuleGraph = BTreeMap<PathBuf, ModuleDir>;

/// The root modules: searched directories that no other module of the graph calls.
pub fn root_modules(graph: &ModuleGraph) -> Vec<&Path> {
    let called: BTreeSet<&Path> = graph
        .iter()
        .flat_map(|(dir, m)| {
            m.calls
                .iter()
                .filter(move |c| c.as_path() != dir.as_path())
                .map(PathBuf::as_path)
        })
        .collect();
    graph
        .iter()
        .filter(|(dir, m)| m.searched && !called.contains(dir.as_path()))
        .map(|(dir, _)| dir.as_path())
        .collect()
}

/// The module directory a changed file belongs to: the nearest directory of the graph that
/// contains it, without looking past a hidden or skipped directory (`.sakk/`, `.terraform/`...).
pub fn owner<'a>(file: &Path, graph: &'a ModuleGraph) -> Option<&'a Path> {
    for dir in file.ancestors().skip(1) {
        if let Some((d, _)) = graph.get_key_value(dir) {
            return Some(d.as_path());
        }
        if dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(skipped_dir)
        {
            return None;
        }
    }
    None
}

/// The affected root modules and, for each, the changed files that affect it (sorted). A root
/// is also affected, possibly with no changed file, when it reaches a broken module directory.
pub fn affected_roots(
    graph: &ModuleGraph,
    changed: &BTreeSet<PathBuf>,
) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut by_dir: BTreeMap<&Path, BTreeSet<&Path>> = BTreeMap::new();
    for file in changed {
        if let Some(dir) = owner(file, graph) {
            by_dir.entry(dir).or_default().insert(file);
        }
    }
    let mut out = BTreeMap::new();
    for root in root_modules(graph) {
        let mut reasons = BTreeSet::new();
        let mut broken = false;
        let mut seen = BTreeSet::new();
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            if !seen.insert(dir) {
                continue;
            }
            if let Some(files) = by_dir.get(dir) {
                reasons.extend(files.iter().map(|f| f.to_path_buf()));
            }
            if let Some(m) = graph.get(dir) {
                broken |= m.broken;
                stack.extend(m.calls.iter().map(PathBuf::as_path));
            }
        }
        if broken || !reasons.is_empty() {
            out.insert(root.to_path_buf(), reasons);
        }
    }
    out
}

/// `base` joined with the relative `rel`, with `.` and `..` resolved lexically.
fn join_normalized(base: &Path, rel: &str) -> PathBuf {
    let mut out = base.to_path_buf();
    for c in Path::new(rel).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// `/`-separated text for a path in the output.
fn slash(p: &Path) -> String {
    let s = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// The files changed between `tree` and the working directory (index and untracked files
/// included, ignored files not), relative to the repository's top.
fn changed_files(
    repo: &git2::Repository,
    tree: &git2::Tree<'_>,
) -> Result<BTreeSet<PathBuf>, git2::Error> {
    let mut opts = git2::DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true);
    let diff = repo.diff_tree_to_workdir_with_index(Some(tree), Some(&mut opts))?;
    let mut files = BTreeSet::new();
    for delta in diff.deltas() {
        for path in [delta.old_file().path(), delta.new_file().path()]
            .into_iter()
            .flatten()
        {
            files.insert(path.to_path_buf());
        }
    }
    Ok(files)
}

/// Every directory under `dir` (itself included) with configuration files; hidden and skipped
/// directories and symbolic links are not entered.
fn search(dir: &Path, out: &mut Vec<PathBuf>, ui: &Ui) {
    if config_files(dir).is_ok_and(|f| !f.is_empty()) {
        out.push(dir.to_path_buf());
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            ui.warning(&format!(
                "cannot read directory {}: {e}; root modules in it are not listed",
                dir.display()
            ));
            return;
        }
    };
    let mut subdirs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| e.file_name().to_str().is_some_and(|n| !skipped_dir(n)))
        .map(|e| e.path())
        .collect();
    subdirs.sort();
    for sub in subdirs {
        search(&sub, out, ui);
    }
}

/// Reads the module in `dir` (absolute): the absolute directories of the local modules it
/// calls, and whether it is broken (a warning saying why is printed).
fn read_module(dir: &Path, shown: &str, ui: &Ui) -> (BTreeSet<PathBuf>, bool) {
    if !dir.is_dir() {
        ui.warning(&format!(
            "the module directory {shown} does not exist; the root modules calling it are \
             listed as changed (planning them shows the error)"
        ));
        return (BTreeSet::new(), true);
    }
    let mut sources = Sources::new();
    let (module, diags) = load_module(dir, &mut sources);
    let broken = diags.has_errors();
    if let Some(d) = diags.errors().next() {
        let at = d
            .range
            .as_ref()
            .map(|r| format!(" (on {r})"))
            .unwrap_or_default();
        ui.warning(&format!(
            "the configuration in {shown} could not be read: {}{at}; it counts as changed, so \
             the root modules using it are listed (run `sakk validate` there for details)",
            d.summary
        ));
    }
    let mut calls = BTreeSet::new();
    for call in module.module_calls.values() {
        // Registry, Git and other remote sources are versioned elsewhere: not followed.
        if let Ok(ModuleSource::Local(local)) = source::parse(&call.source) {
            let child = join_normalized(dir, local.path());
            calls.insert(child.canonicalize().unwrap_or(child));
        }
    }
    (calls, broken)
}

/// The module-call graph of every module directory under `dir` (absolute, canonical) and the
/// local modules they reach; keys relative to `top` (the repository's working directory) when
/// inside it.
fn module_graph(dir: &Path, top: &Path, ui: &Ui) -> ModuleGraph {
    let key = |abs: &Path| -> PathBuf {
        abs.strip_prefix(top)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| abs.to_path_buf())
    };
    let mut searched = Vec::new();
    search(dir, &mut searched, ui);
    let mut graph = ModuleGraph::new();
    let mut queue: Vec<PathBuf> = searched.iter().rev().cloned().collect();
    while let Some(abs) = queue.pop() {
        let k = key(&abs);
        if graph.contains_key(&k) {
            continue;
        }
        let (calls, broken) = read_module(&abs, &slash(&k), ui);
        let node = ModuleDir {
            calls: calls.iter().map(|c| key(c)).collect(),
            searched: false,
            broken,
        };
        queue.extend(calls.into_iter().rev());
        graph.insert(k, node);
    }
    for abs in &searched {
        if let Some(m) = graph.get_mut(&key(abs)) {
            m.searched = true;
        }
    }
    graph
}

/// `sakk plan --changed-since REF [--json]` in the current directory.
pub fn run(rev: &str, json: bool, ui: &Ui) -> u8 {
    match list(rev, json, ui) {
        Ok(()) => 0,
        Err(e) => {
            ui.error(&e);
            1
        }
    }
}

fn list(rev: &str, json: bool, ui: &Ui) -> Result<(), String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let dir = cwd.canonicalize().unwrap_or(cwd);
    // Like git: search upwards, stopping at GIT_CEILING_DIRECTORIES.
    let ceilings: Vec<PathBuf> = std::env::var_os("GIT_CEILING_DIRECTORIES")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    let repo = git2::Repository::open_ext(&dir, git2::RepositoryOpenFlags::empty(), &ceilings)
        .map_err(|e| {
            format!(
            "{} is not inside a Git repository ({})\nHint: --changed-since compares with a Git \
             revision: run it in a clone, or point -C/--chdir at a directory of one",
            dir.display(),
            e.message()
        )
        })?;
    let top = repo.workdir().ok_or_else(|| {
        format!(
            "the Git repository at {} is bare: it has no working directory to compare\nHint: run \
             it in a clone with a checkout",
            repo.path().display()
        )
    })?;
    let top = top.canonicalize().unwrap_or_else(|_| top.to_path_buf());
    let commit = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            format!(
                "cannot resolve {rev:?} to a commit in the Git repository at {} ({})\nHint: check \
                 the name; if it is a remote branch, fetch it first (`git fetch origin`); in \
                 GitHub Actions check out with `fetch-depth: 0` so the base branch is there",
                top.display(),
                e.message()
            )
        })?;
    let tree = commit
        .tree()
        .map_err(|e| format!("cannot read the tree of commit {}: {e}", commit.id()))?;
    let changed = changed_files(&repo, &tree).map_err(|e| {
        format!(
            "cannot compare the working directory with {rev} ({}): {}",
            commit.id(),
            e.message()
        )
    })?;
    let graph = module_graph(&dir, &top, ui);
    let affected = affected_roots(&graph, &changed);
    let shown = |root: &Path| slash(top.join(root).strip_prefix(&dir).unwrap_or(root));
    if json {
        let roots: Vec<serde_json::Value> = affected
            .iter()
            .map(|(root, reasons)| {
                serde_json::json!({
                    "path": shown(root),
                    "reasons": reasons.iter().map(|r| slash(r)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let doc = serde_json::json!({
            "changed_since": commit.id().to_string(),
            "root_modules": roots,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        for root in affected.keys() {
            println!("{}", shown(root));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    fn files(list: &[&str]) -> BTreeSet<PathBuf> {
        list.iter().map(|s| p(s)).collect()
    }

    /// (dir, calls, searched, broken)
    fn graph(nodes: &[(&str, &[&str], bool, bool)]) -> ModuleGraph {
        nodes
            .iter()
            .map(|(dir, calls, searched, broken)| {
                (
                    p(dir),
                    ModuleDir {
                        calls: files(calls),
                        searched: *searched,
                        broken: *broken,
                    },
                )
            })
            .collect()
    }

    /// examples/{a,b} call modules/shared (which calls modules/leaf); examples/c calls its own
    /// examples/c/mod; modules/* are outside the searched directory.
    fn fleet() -> ModuleGraph {
        graph(&[
            ("examples/a", &["modules/shared"], true, false),
            ("examples/b", &["modules/shared"], true, false),
            ("examples/c", &["examples/c/mod"], true, false),
            ("examples/c/mod", &[], true, false),
            ("modules/shared", &["modules/leaf"], false, false),
            ("modules/leaf", &[], false, false),
        ])
    }

    fn names(m: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<String> {
        m.keys().map(|k| slash(k)).collect()
    }

    #[test]
    fn roots_are_searched_dirs_nobody_calls() {
        let g = fleet();
        let roots: Vec<String> = root_modules(&g).into_iter().map(slash).collect();
        assert_eq!(roots, vec!["examples/a", "examples/b", "examples/c"]);
    }

    #[test]
    fn a_module_calling_itself_is_still_a_root() {
        let g = graph(&[("r", &["r"], true, false)]);
        assert_eq!(root_modules(&g), vec![Path::new("r")]);
    }

    #[test]
    fn shared_module_change_affects_every_caller_transitively() {
        let g = fleet();
        let a = affected_roots(&g, &files(&["modules/leaf/main.tf"]));
        assert_eq!(names(&a), vec!["examples/a", "examples/b"]);
        assert_eq!(a[&p("examples/a")], files(&["modules/leaf/main.tf"]));
    }

    #[test]
    fn own_file_change_affects_only_that_root() {
        let g = fleet();
        let a = affected_roots(
            &g,
            &files(&["examples/b/variables.tf", "examples/c/mod/x.tf"]),
        );
        assert_eq!(names(&a), vec!["examples/b", "examples/c"]);
        assert_eq!(a[&p("examples/c")], files(&["examples/c/mod/x.tf"]));
    }

    #[test]
    fn reasons_collect_every_file_that_reaches_the_root() {
        let g = fleet();
        let a = affected_roots(
            &g,
            &files(&[
                "examples/a/main.tf",
                "modules/shared/main.tf",
                "modules/leaf/outputs.tf",
            ]),
        );
        assert_eq!(
            a[&p("examples/a")],
            files(&[
                "examples/a/main.tf",
                "modules/leaf/outputs.tf",
                "modules/shared/main.tf"
            ])
        );
        assert_eq!(
            a[&p("examples/b")],
            files(&["modules/leaf/outputs.tf", "modules/shared/main.tf"])
        );
    }

    #[test]
    fn files_outside_any_module_affect_nothing() {
        let g = fleet();
        let a = affected_roots(
            &g,
            &files(&["README.md", "examples/README.md", "modules/unused/main.tf"]),
        );
        assert!(a.is_empty(), "{a:?}");
        assert!(affected_roots(&g, &BTreeSet::new()).is_empty());
    }

    #[test]
    fn a_file_belongs_to_the_nearest_module_dir_but_not_through_hidden_dirs() {
        let g = fleet();
        assert_eq!(
            owner(Path::new("modules/shared/templates/user.tpl"), &g),
            Some(Path::new("modules/shared"))
        );
        assert_eq!(
            owner(Path::new("examples/c/mod/main.tf"), &g),
            Some(Path::new("examples/c/mod"))
        );
        assert_eq!(owner(Path::new("examples/a/.sakk/modules/x.tf"), &g), None);
        assert_eq!(
            owner(Path::new("examples/a/.terraform/modules/m/main.tf"), &g),
            None
        );
        assert_eq!(owner(Path::new("examples/a/target/x"), &g), None);
        assert_eq!(
            owner(Path::new("examples/a/.terraform.lock.hcl"), &g),
            Some(Path::new("examples/a"))
        );
    }

    #[test]
    fn a_root_at_the_repository_top_owns_its_files() {
        let g = graph(&[("", &["m"], true, false), ("m", &[], true, false)]);
        let a = affected_roots(&g, &files(&["main.tf"]));
        assert_eq!(names(&a), vec!["."]);
        let a = affected_roots(&g, &files(&["m/main.tf"]));
        assert_eq!(a[&p("")], files(&["m/main.tf"]));
    }

    #[test]
    fn broken_dirs_count_as_changed() {
        let g = graph(&[
            ("examples/a", &["modules/shared"], true, false),
            ("examples/b", &[], true, true),
            ("examples/c", &[], true, false),
            ("modules/shared", &[], false, true),
        ]);
        let a = affected_roots(&g, &BTreeSet::new());
        assert_eq!(names(&a), vec!["examples/a", "examples/b"]);
        assert!(a[&p("examples/a")].is_empty());
    }

    #[test]
    fn call_cycles_terminate() {
        let g = graph(&[
            ("r", &["m1"], true, false),
            ("m1", &["m2"], false, false),
            ("m2", &["m1"], false, false),
        ]);
        let a = affected_roots(&g, &files(&["m2/main.tf"]));
        assert_eq!(names(&a), vec!["r"]);
    }

    #[test]
    fn deleted_module_dirs_still_own_their_files() {
        // A called directory that no longer exists is in the graph (broken) under its path.
        let g = graph(&[
            ("examples/a", &["modules/gone"], true, false),
            ("modules/gone", &[], false, true),
        ]);
        let a = affected_roots(&g, &files(&["modules/gone/main.tf"]));
        assert_eq!(a[&p("examples/a")], files(&["modules/gone/main.tf"]));
    }

    #[test]
    fn local_sources_are_joined_lexically() {
        assert_eq!(
            join_normalized(Path::new("/r/examples/simple"), "../../modules/platform"),
            p("/r/modules/platform")
        );
        assert_eq!(join_normalized(Path::new("/r/a"), "./b/./c"), p("/r/a/b/c"));
        assert_eq!(slash(Path::new("")), ".");
        assert_eq!(slash(Path::new("a/b")), "a/b");
    }
}
