//! End-to-end tests of the module installer against real Git repositories made with the `git`
//! CLI in a temporary directory, fetched over `file://`.

use engine::config::manifest::Manifest;
use engine::lang::ast::ExprKind;
use getmodules::{install, Action, CallInfo, ErrorKind, InstallError, InstallOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=sakk test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Lists the module calls of the module in `dir` with the engine's parser, as the CLI does.
fn discover(dir: &Path) -> Result<Vec<CallInfo>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    let mut calls = Vec::new();
    for f in files {
        let src = std::fs::read_to_string(&f).map_err(|e| e.to_string())?;
        let name: Arc<str> = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .into();
        let body = engine::lang::parse::parse_body(name, src.into()).map_err(|d| d.summary)?;
        for block in body.blocks_of("module") {
            let Some(attr) = block.body.attribute("source") else {
                continue;
            };
            let ExprKind::String(source) = &attr.expr.kind else {
                return Err("source must be a literal string".into());
            };
            calls.push(CallInfo {
                name: block.labels.first().cloned().unwrap_or_default(),
                source: source.clone(),
                location: attr.expr.range.to_string(),
            });
        }
    }
    Ok(calls)
}

struct Fixture {
    _tmp: tempfile::TempDir,
    /// The working repository (with a work tree), pushed to `bare`.
    work: PathBuf,
    /// The bare repository modules are fetched from.
    bare: PathBuf,
    root: PathBuf,
}

impl Fixture {
    /// A repository with `modules/net` (calling the local `./sub`) and `modules/loop` (calling
    /// itself through its own git source), tagged `v1` (annotated) and `v2` (lightweight) with
    /// different `modules/net/main.tf`, and a branch `main` at v2.
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().expect("tempdir");
        let work = tmp.path().join("work");
        let bare = tmp.path().join("repo.git");
        let root = tmp.path().join("root");
        std::fs::create_dir_all(&work).expect("mkdir");
        std::fs::create_dir_all(&root).expect("mkdir");
        git(&work, &["init", "-q"]);
        write(
            &work.join("modules/net/main.tf"),
            "output \"version\" {\n  value = \"v1\"\n}\n\nmodule \"sub\" {\n  source = \"./sub\"\n}\n",
        );
        write(
            &work.join("modules/net/sub/main.tf"),
            "output \"sub\" {\n  value = 1\n}\n",
        );
        write(
            &work.join("modules/loop/main.tf"),
            &format!(
                "module \"again\" {{\n  source = \"git::file://{}//modules/loop?ref=v1\"\n}}\n",
                bare.display()
            ),
        );
        write(
            &work.join("modules/escape/main.tf"),
            "module \"out\" {\n  source = \"../../../outside\"\n}\n",
        );
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "-m", "v1"]);
        git(&work, &["tag", "-a", "v1", "-m", "version 1"]);
        write(
            &work.join("modules/net/main.tf"),
            "output \"version\" {\n  value = \"v2\"\n}\n\nmodule \"sub\" {\n  source = \"./sub\"\n}\n",
        );
        git(&work, &["commit", "-q", "-am", "v2"]);
        git(&work, &["tag", "v2"]);
        git(tmp.path(), &["clone", "-q", "--bare", "work", "repo.git"]);
        Fixture {
            _tmp: tmp,
            work,
            bare,
            root,
        }
    }

    fn url(&self) -> String {
        format!("git::file://{}", self.bare.display())
    }

    fn commit_of(&self, rev: &str) -> String {
        git(&self.bare, &["rev-parse", &format!("{rev}^{{commit}}")])
    }

    fn set_root(&self, text: &str) {
        write(&self.root.join("main.tf"), text);
    }

    fn call(&self, name: &str, source: &str) {
        self.set_root(&format!(
            "module \"{name}\" {{\n  source = \"{source}\"\n}}\n"
        ));
    }

    fn install(&self, upgrade: bool) -> Result<getmodules::InstallReport, InstallError> {
        install(&self.root, &InstallOptions { upgrade }, &mut discover)
    }

    fn manifest(&self) -> Manifest {
        Manifest::load(&self.root)
            .expect("manifest loads")
            .expect("manifest exists")
    }

    fn modules_dir_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join(".sakk/modules"))
            .expect("modules dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

#[test]
fn installs_git_module_at_tag_with_nested_local_module() {
    let fx = Fixture::new();
    let source = format!("{}//modules/net?ref=v1", fx.url());
    fx.call("net", &source);

    let report = fx.install(false).expect("install");
    let actions: Vec<(&str, &Action)> = report
        .modules
        .iter()
        .map(|m| (m.key.as_str(), &m.action))
        .collect();
    assert_eq!(
        actions,
        vec![("net", &Action::Downloaded), ("net.sub", &Action::Local)]
    );
    assert_eq!(report.fetched().count(), 1);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let dir = fx.root.join(".sakk/modules/net/modules/net");
    assert!(read(&dir.join("main.tf")).contains("\"v1\""));
    assert!(dir.join("sub/main.tf").is_file());
    // The whole repository is checked out, without a .git directory.
    assert!(fx
        .root
        .join(".sakk/modules/net/modules/loop/main.tf")
        .is_file());
    assert!(!fx.root.join(".sakk/modules/net/.git").exists());
    // No staging leftovers.
    assert_eq!(fx.modules_dir_names(), vec!["modules.json", "net"]);

    let m = fx.manifest();
    let root = m.lookup("").expect("root entry");
    assert_eq!(root.dir, ".");
    let net = m.lookup("net").expect("net entry");
    assert_eq!(net.source, source);
    assert_eq!(net.dir, ".sakk/modules/net/modules/net");
    assert_eq!(net.commit.as_deref(), Some(fx.commit_of("v1").as_str()));
    assert_eq!(net.git_ref.as_deref(), Some("v1"));
    let sub = m.lookup("net.sub").expect("net.sub entry");
    assert_eq!(sub.dir, ".sakk/modules/net/modules/net/sub");
    assert_eq!(sub.source, "./sub");
    assert_eq!(sub.commit, None);
}

#[test]
fn reinstall_reuses_offline_and_upgrade_fetches_new_ref() {
    let fx = Fixture::new();
    fx.call("net", &format!("{}//modules/net?ref=v1", fx.url()));
    fx.install(false).expect("first install");
    let before = read(&Manifest::path(&fx.root));

    // The remote is gone: the installed module is reused without network access.
    let moved = fx.bare.with_extension("moved");
    std::fs::rename(&fx.bare, &moved).expect("move the bare repo away");
    let report = fx.install(false).expect("offline reinstall");
    assert_eq!(report.reused().count(), 1);
    assert_eq!(report.fetched().count(), 0);
    assert_eq!(report.modules[1].action, Action::Local);
    assert_eq!(read(&Manifest::path(&fx.root)), before);

    // Without the remote, -upgrade must fetch and so fails, leaving everything in place.
    let err = fx.install(true).expect_err("upgrade without the remote");
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
    assert!(err.message().contains("cannot reach"), "{err}");
    assert_eq!(read(&Manifest::path(&fx.root)), before);

    // Back online, ref=v2 with upgrade installs v2.
    std::fs::rename(&moved, &fx.bare).expect("restore");
    fx.call("net", &format!("{}//modules/net?ref=v2", fx.url()));
    let report = fx.install(true).expect("upgrade");
    assert_eq!(report.modules[0].action, Action::Downloaded);
    let dir = fx.root.join(".sakk/modules/net/modules/net");
    assert!(read(&dir.join("main.tf")).contains("\"v2\""));
    let m = fx.manifest();
    assert_eq!(
        m.lookup("net").and_then(|e| e.commit.as_deref()),
        Some(fx.commit_of("v2").as_str())
    );
    assert_eq!(fx.modules_dir_names(), vec!["modules.json", "net"]);
}

#[test]
fn branch_moves_only_with_upgrade() {
    let fx = Fixture::new();
    fx.call("net", &format!("{}//modules/net?ref=main", fx.url()));
    fx.install(false).expect("install");
    let main1 = fx.commit_of("main");
    assert_eq!(
        fx.manifest().lookup("net").and_then(|e| e.commit.clone()),
        Some(main1.clone())
    );

    write(
        &fx.work.join("modules/net/extra.tf"),
        "locals {\n  x = 3\n}\n",
    );
    git(&fx.work, &["add", "-A"]);
    git(&fx.work, &["commit", "-q", "-m", "v3"]);
    git(
        &fx.work,
        &["push", "-q", fx.bare.to_str().expect("utf-8"), "main"],
    );
    let main2 = fx.commit_of("main");
    assert_ne!(main1, main2);

    let report = fx.install(false).expect("reinstall");
    assert_eq!(report.modules[0].action, Action::Reused);
    assert_eq!(report.modules[0].commit.as_deref(), Some(main1.as_str()));

    let report = fx.install(true).expect("upgrade");
    assert_eq!(report.modules[0].action, Action::Downloaded);
    assert_eq!(report.modules[0].commit.as_deref(), Some(main2.as_str()));
    assert!(fx
        .root
        .join(".sakk/modules/net/modules/net/extra.tf")
        .is_file());
}

#[test]
fn default_branch_and_commit_refs() {
    let fx = Fixture::new();
    fx.call("net", &format!("{}//modules/net", fx.url()));
    let report = fx.install(false).expect("default branch");
    assert_eq!(report.modules[0].commit, Some(fx.commit_of("main")));

    let v1 = fx.commit_of("v1");
    fx.call(
        "net",
        &format!("{}//modules/net?ref={}", fx.url(), &v1[..10]),
    );
    let report = fx.install(false).expect("short commit id");
    assert_eq!(report.modules[0].commit.as_deref(), Some(v1.as_str()));
    let dir = fx.root.join(".sakk/modules/net/modules/net");
    assert!(read(&dir.join("main.tf")).contains("\"v1\""));
}

#[test]
fn unknown_ref_fails_clearly_and_keeps_previous_install() {
    let fx = Fixture::new();
    fx.call("net", &format!("{}//modules/net?ref=v1", fx.url()));
    fx.install(false).expect("install v1");
    let before = read(&Manifest::path(&fx.root));

    let source = format!("{}//modules/net?ref=v9", fx.url());
    fx.call("net", &source);
    let err = fx.install(false).expect_err("unknown ref");
    assert_eq!(err.kind(), ErrorKind::UnknownRef);
    assert_eq!(err.module_key(), "net");
    assert_eq!(err.location(), Some("main.tf:2:12"));
    assert_eq!(err.module_source(), Some(source.as_str()));
    let text = err.to_string();
    assert!(
        text.contains("\"v9\" is not a tag, branch or commit"),
        "{text}"
    );
    assert!(text.contains("Tags: v1, v2"), "{text}");
    assert!(text.contains("Branches: main"), "{text}");

    assert_eq!(read(&Manifest::path(&fx.root)), before);
    let dir = fx.root.join(".sakk/modules/net/modules/net");
    assert!(read(&dir.join("main.tf")).contains("\"v1\""));
    assert_eq!(fx.modules_dir_names(), vec!["modules.json", "net"]);
}

#[test]
fn missing_subdir_names_the_directories() {
    let fx = Fixture::new();
    fx.call("net", &format!("{}//modules/nett?ref=v1", fx.url()));
    let err = fx.install(false).expect_err("missing subdir");
    assert_eq!(err.kind(), ErrorKind::MissingSubdir);
    let text = err.to_string();
    assert!(text.contains("\"modules/nett\" does not exist"), "{text}");
    assert!(text.contains("at v1 (commit"), "{text}");
    assert!(
        text.contains("top-level directories are: modules"),
        "{text}"
    );
    assert!(Manifest::load(&fx.root).expect("load").is_none());
    assert_eq!(fx.modules_dir_names(), Vec::<String>::new());
}

#[test]
fn same_repo_and_ref_is_fetched_once() {
    let fx = Fixture::new();
    fx.set_root(&format!(
        "module \"a\" {{\n  source = \"{u}//modules/net?ref=v1\"\n}}\n\
         module \"b\" {{\n  source = \"{u}//modules/net/sub?ref=v1\"\n}}\n\
         module \"c\" {{\n  source = \"{u}//modules/net?ref=v2\"\n}}\n",
        u = fx.url()
    ));
    let report = fx.install(false).expect("install");
    let actions: Vec<(&str, &Action)> = report
        .modules
        .iter()
        .map(|m| (m.key.as_str(), &m.action))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("a", &Action::Downloaded),
            ("a.sub", &Action::Local),
            ("b", &Action::CopiedFrom("a".into())),
            ("c", &Action::Downloaded),
            ("c.sub", &Action::Local),
        ]
    );
    let m = fx.manifest();
    assert_eq!(
        m.lookup("b").map(|e| e.dir.as_str()),
        Some(".sakk/modules/b/modules/net/sub")
    );
    assert!(read(&fx.root.join(".sakk/modules/c/modules/net/main.tf")).contains("\"v2\""));
    assert_eq!(fx.modules_dir_names(), vec!["a", "b", "c", "modules.json"]);

    // Dropping a module call removes its package on the next install.
    fx.call("a", &format!("{}//modules/net?ref=v1", fx.url()));
    let report = fx.install(false).expect("reinstall");
    assert_eq!(report.modules[0].action, Action::Reused);
    assert_eq!(fx.modules_dir_names(), vec!["a", "modules.json"]);
    assert!(fx.manifest().lookup("b").is_none());

    // Switching a call to a local source removes its fetched package, and an interrupted
    // install's staging directory is cleaned up.
    write(&fx.root.join("local/main.tf"), "locals {}\n");
    std::fs::create_dir_all(fx.root.join(".sakk/modules/.staging-old/x")).expect("mkdir");
    fx.call("a", "./local");
    fx.install(false).expect("local");
    assert_eq!(fx.modules_dir_names(), vec!["modules.json"]);
    assert_eq!(
        fx.manifest()
            .lookup("a")
            .map(|e| (e.dir.as_str(), e.commit.is_none())),
        Some(("local", true))
    );
}

#[test]
fn local_modules_in_the_root_tree() {
    let fx = Fixture::new();
    write(
        &fx.root.join("main.tf"),
        "module \"app\" {\n  source = \"./modules/app\"\n}\n",
    );
    write(
        &fx.root.join("modules/app/main.tf"),
        "module \"shared\" {\n  source = \"../../../shared\"\n}\n",
    );
    let shared = fx.root.parent().expect("parent").join("shared");
    write(&shared.join("main.tf"), "locals {}\n");
    let report = fx.install(false).expect("install");
    assert_eq!(report.modules.len(), 2);
    let m = fx.manifest();
    assert_eq!(m.lookup("app").map(|e| e.dir.as_str()), Some("modules/app"));
    assert_eq!(
        m.lookup("app.shared").map(|e| e.dir.as_str()),
        Some("../shared")
    );

    // A missing local directory.
    write(
        &fx.root.join("main.tf"),
        "module \"app\" {\n  source = \"./modules/nope\"\n}\n",
    );
    let err = fx.install(false).expect_err("missing dir");
    assert_eq!(err.kind(), ErrorKind::LocalDir);
    assert!(
        err.message()
            .contains("the module directory modules/nope does not exist"),
        "{err}"
    );
}

#[test]
fn cycles_are_detected() {
    let fx = Fixture::new();
    fx.call("me", "./");
    let err = fx.install(false).expect_err("local cycle");
    assert_eq!(err.kind(), ErrorKind::Cycle, "{err}");
    assert!(err.message().contains("(root) -> module.me"), "{err}");

    fx.call("loop", &format!("{}//modules/loop?ref=v1", fx.url()));
    let err = fx.install(false).expect_err("git cycle");
    assert_eq!(err.kind(), ErrorKind::Cycle, "{err}");
    assert_eq!(err.module_key(), "loop.again");
    assert!(
        err.message()
            .contains("module.loop -> module.loop.module.again"),
        "{err}"
    );
    assert!(Manifest::load(&fx.root).expect("load").is_none());
}

#[test]
fn local_path_cannot_leave_a_fetched_package() {
    let fx = Fixture::new();
    fx.call("esc", &format!("{}//modules/escape?ref=v1", fx.url()));
    let err = fx.install(false).expect_err("escape");
    assert_eq!(err.kind(), ErrorKind::LocalDir);
    assert!(
        err.message()
            .contains("leads outside of the fetched package"),
        "{err}"
    );
}

#[test]
fn unsupported_and_invalid_sources() {
    let fx = Fixture::new();
    fx.call("vpc", "terraform-aws-modules/vpc/aws");
    let err = fx.install(false).expect_err("registry");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(
        err.message()
            .contains("not supported yet; use a git:: source"),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git"),
        "{err}"
    );

    fx.call("vpc", "s3::https://s3.amazonaws.com/bucket/vpc.zip");
    let err = fx.install(false).expect_err("s3");
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(
        err.message()
            .contains("s3 module sources are not supported yet"),
        "{err}"
    );

    fx.call("vpc", "https://example.com/org/vpc.git");
    let err = fx.install(false).expect_err("http");
    assert!(
        err.to_string()
            .contains("git::https://example.com/org/vpc.git"),
        "{err}"
    );

    fx.call("vpc", "modules/vpc");
    let err = fx.install(false).expect_err("bare path");
    assert_eq!(err.kind(), ErrorKind::InvalidSource);
    assert!(err.message().contains("\"./modules/vpc\""), "{err}");
    assert_eq!(err.location(), Some("main.tf:2:12"));

    fx.call("vpc", "git::file:///nonexistent/sakk-test/repo.git?ref=v1");
    let err = fx.install(false).expect_err("unreachable");
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
    assert!(err.to_string().contains("SAKK_GIT_TOKEN"), "{err}");
    assert!(Manifest::load(&fx.root).expect("load").is_none());
}

#[test]
fn corrupt_manifest_is_replaced_with_a_warning() {
    let fx = Fixture::new();
    fx.call("net", &format!("{}//modules/net?ref=v1", fx.url()));
    write(&Manifest::path(&fx.root), "{not json");
    let report = fx.install(false).expect("install");
    assert_eq!(report.warnings.len(), 1);
    assert!(
        report.warnings[0].contains("corrupt"),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.modules[0].action, Action::Downloaded);
    assert!(fx.manifest().lookup("net").is_some());
}
