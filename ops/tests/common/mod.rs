//! A project in a temporary directory with the local backend and the mock provider
//! (`engine::provider_mock`), driven through the operations layer as the CLI drives it: plan
//! (`ops::planning::make_plan`), save and load plan files (`ops::planfile`), apply
//! (`ops::apply::apply`) under the state lock. The state is the real one (`terraform.tfstate`
//! in the directory), read back through `ops::state_io`.

#![allow(dead_code)]

use engine::addrs::{ResourceInstance, Target};
use engine::diag::{render_all, Style};
use engine::evaluate::apply::ApplyEvent;
use engine::evaluate::inputs::CliInput;
use engine::lang::value::{Kind, Value};
use engine::plan::{Action, Plan};
use engine::provider_mock::{Call, MockProvider, Op};
use ops::apply::{Applied, ApplyOptions};
use ops::load::InputOptions;
use ops::planning::{make_plan, PlanOptions, Planned};
use ops::project::{LockOptions, Project};
use state::State;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Fx {
    pub dir: tempfile::TempDir,
    pub mock: Arc<MockProvider>,
    pub project: Project,
    pub rt: tokio::runtime::Runtime,
    /// `--var` inputs of every plan.
    pub vars: Vec<CliInput>,
    /// The events of the last apply.
    pub events: Mutex<Vec<ApplyEvent>>,
}

/// A normal plan, refreshing first (the CLI's default).
pub fn normal() -> PlanOptions {
    PlanOptions {
        refresh: true,
        ..PlanOptions::default()
    }
}

pub fn addr(s: &str) -> ResourceInstance {
    match s.parse::<Target>() {
        Ok(Target::Resource(r)) => r,
        other => panic!("not a resource instance address: {s}: {other:?}"),
    }
}

pub fn s(v: &str) -> Value {
    Value::string(v)
}

/// `v` with its attribute `name` replaced.
pub fn with_attr(v: &Value, name: &str, new: Value) -> Value {
    let mut attrs: Vec<(String, Value)> = match v.kind() {
        Kind::Object(a) => a.iter().map(|(k, x)| (k.clone(), x.clone())).collect(),
        other => panic!("not an object: {other:?}"),
    };
    match attrs.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = new,
        None => panic!("no attribute {name}"),
    }
    Value::object(attrs)
}

/// The string at `path` (attribute names) of `v`.
pub fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get_attr(p).or_else(|| cur.get_key(p))?;
    }
    cur.as_str().map(str::to_string)
}

/// The provider calls an apply of `plan` must make that change the world, as (operation,
/// address), sorted: a create per create, an update per update, a delete per delete, both
/// for a replace, a data read per deferred read.
pub fn expected_calls(plan: &Plan) -> Vec<(Op, String)> {
    let mut v = Vec::new();
    for c in &plan.changes {
        let a = c.addr.to_string();
        match c.action {
            Action::NoOp => {}
            Action::Create => v.push((Op::Create, a)),
            Action::Update => v.push((Op::Update, a)),
            Action::Delete => v.push((Op::Delete, a)),
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                v.push((Op::Delete, a.clone()));
                v.push((Op::Create, a));
            }
            Action::Read => v.push((Op::ReadData, a)),
        }
    }
    v.sort();
    v
}

/// The calls of the log that change the world or read it by address (create, update, delete,
/// read, import, data reads), as (operation, address), sorted.
pub fn world_calls(calls: &[Call]) -> Vec<(Op, String)> {
    let mut v: Vec<(Op, String)> = calls
        .iter()
        .filter(|c| {
            matches!(
                c.op,
                Op::Create | Op::Update | Op::Delete | Op::Read | Op::Import | Op::ReadData
            )
        })
        .map(|c| (c.op, c.address.clone().unwrap_or_default()))
        .collect();
    v.sort();
    v
}

/// The one call of `op` about `address`.
pub fn the_call(calls: &[Call], op: Op, address: &str) -> Call {
    let v: Vec<&Call> = calls
        .iter()
        .filter(|c| c.op == op && c.address.as_deref() == Some(address))
        .collect();
    assert_eq!(v.len(), 1, "{op:?} calls of {address}: {calls:#?}");
    v[0].clone()
}

/// (address, action) of every change that is not a no-op, sorted.
pub fn actions(plan: &Plan) -> Vec<(String, Action)> {
    let mut v: Vec<(String, Action)> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| (c.addr.to_string(), c.action))
        .collect();
    v.sort();
    v
}

pub fn acts(v: &[(&str, Action)]) -> Vec<(String, Action)> {
    let mut v: Vec<(String, Action)> = v.iter().map(|(a, x)| (a.to_string(), *x)).collect();
    v.sort();
    v
}

impl Fx {
    pub fn new(files: &[(&str, &str)]) -> Fx {
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, content) in files {
            let p = dir.path().join(path);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(&p, content).expect("write");
        }
        let mock = MockProvider::standard();
        let mut project = Project::open(dir.path()).unwrap_or_else(|e| panic!("open: {e}"));
        project.providers = mock.registry();
        Fx {
            dir,
            mock,
            project,
            rt: ops::runtime().expect("runtime"),
            vars: Vec::new(),
            events: Mutex::new(Vec::new()),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The project directory as a string, for configurations that read files by absolute path
    /// (relative paths resolve against the process working directory).
    pub fn dir_str(&self) -> String {
        self.path().to_string_lossy().into_owned()
    }

    pub fn write(&self, rel: &str, content: &str) {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write");
    }

    /// Adds `--var name=value` to every plan.
    pub fn var(&mut self, name: &str, value: &str) {
        self.vars.push(CliInput::Var(format!("{name}={value}")));
    }

    fn inputs(&self) -> InputOptions {
        InputOptions {
            cli: self.vars.clone(),
            env: Vec::new(),
        }
    }

    pub fn state(&self) -> Option<State> {
        self.project
            .read_state()
            .unwrap_or_else(|e| panic!("read state: {e}"))
    }

    pub fn try_plan(&self, o: PlanOptions) -> ops::Result<Planned> {
        make_plan(&self.project, &self.inputs(), &o, self.state(), &self.rt)
    }

    /// A plan with no errors.
    pub fn plan(&self, o: PlanOptions) -> Planned {
        self.try_plan(o)
            .unwrap_or_else(|e| panic!("plan failed: {e}"))
    }

    /// Saves `planned` as `name` in the project directory (unsigned).
    pub fn save(&self, planned: &Planned, name: &str) -> PathBuf {
        let path = self.path().join(name);
        ops::planfile::save(&path, planned, None).unwrap_or_else(|e| panic!("save: {e}"));
        path
    }

    /// `sakk apply FILE` up to the apply: load and check the file, then, under the state lock,
    /// read the state and turn the saved plan into a `Planned` against it.
    pub fn load(&self, path: &Path) -> ops::Result<Planned> {
        let saved = ops::planfile::load(path, None)?;
        self.project
            .with_lock(&LockOptions::default(), "OperationTypeApply", || {
                saved.into_planned(&self.project, self.state())
            })
    }

    /// Applies `planned` under the state lock, with the events recorded in `self.events`.
    pub fn apply(&self, planned: &Planned) -> Applied {
        self.events.lock().expect("events").clear();
        let record = |e: &ApplyEvent| self.events.lock().expect("events").push(e.clone());
        let o = ApplyOptions {
            parallelism: 10,
            progress_interval: Duration::from_secs(3600),
            cancel: Arc::new(AtomicBool::new(false)),
            abandon: Arc::new(AtomicBool::new(false)),
            events: &record,
            plan_source: "ops test".into(),
        };
        self.project
            .with_lock(&LockOptions::default(), "OperationTypeApply", || {
                ops::apply::apply(
                    self.project.backend.clone(),
                    &self.project.workspace,
                    planned,
                    &o,
                    &self.rt,
                )
            })
            .unwrap_or_else(|e| panic!("apply: {e}"))
    }

    /// The diagnostics of an apply, rendered.
    pub fn rendered(&self, planned: &Planned, a: &Applied) -> String {
        render_all(&a.diags, &planned.loaded.sources, Style { color: false })
    }

    /// Applies and checks that everything succeeded.
    pub fn apply_ok(&self, planned: &Planned) -> Applied {
        let a = self.apply(planned);
        assert!(
            a.ok(),
            "apply failed: {}\n{:?}\n{:?}",
            self.rendered(planned, &a),
            a.errors,
            self.failures()
        );
        a
    }

    /// Plans and applies (an interactive `sakk apply --auto-approve`).
    pub fn apply_all(&self) -> Applied {
        let p = self.plan(normal());
        self.apply_ok(&p)
    }

    /// Applies a saved plan and checks that the apply made exactly the calls it lists, all
    /// successful.
    pub fn apply_exactly(&self, planned: &Planned) -> Applied {
        self.mock.clear_calls();
        let a = self.apply_ok(planned);
        let calls = self.mock.calls();
        assert_eq!(
            world_calls(&calls),
            expected_calls(&planned.plan),
            "the apply's calls differ from the plan"
        );
        assert!(
            calls.iter().all(|c| c.succeeded()),
            "{:?}",
            calls.iter().filter(|c| !c.succeeded()).collect::<Vec<_>>()
        );
        a
    }

    /// (address, error) of the operations of the last apply that failed.
    pub fn failures(&self) -> Vec<(String, String)> {
        self.events
            .lock()
            .expect("events")
            .iter()
            .filter_map(|e| match e {
                ApplyEvent::Failed { addr, error, .. } => {
                    Some((addr.to_string(), error.to_string()))
                }
                _ => None,
            })
            .collect()
    }

    /// The instances of the state, decoded with their schemas (as the next plan sees them).
    pub fn prior(
        &self,
    ) -> indexmap::IndexMap<ResourceInstance, engine::evaluate::resources::PriorInstance> {
        match self.state() {
            Some(st) => ops::state_io::prior_from_state(&st, &self.project.providers)
                .unwrap_or_else(|e| panic!("{e}")),
            None => Default::default(),
        }
    }

    /// The addresses in the state, sorted.
    pub fn addrs(&self) -> Vec<String> {
        let mut v: Vec<String> = self.prior().keys().map(|a| a.to_string()).collect();
        v.sort();
        v
    }

    /// An instance's attributes in the state.
    pub fn value(&self, a: &str) -> Option<Value> {
        self.prior().get(&addr(a)).map(|p| p.value.clone())
    }

    pub fn id(&self, a: &str) -> Option<String> {
        self.value(a).and_then(|v| str_at(&v, &["id"]))
    }

    /// The ids of the objects the state holds.
    pub fn state_ids(&self) -> BTreeSet<String> {
        let mut ids: BTreeSet<String> = self
            .prior()
            .values()
            .filter_map(|p| str_at(&p.value, &["id"]))
            .collect();
        if let Some(st) = self.state() {
            let deposed = ops::state_io::deposed_from_state(&st, &self.project.providers)
                .expect("deposed objects decode");
            ids.extend(deposed.values().filter_map(|p| str_at(&p.value, &["id"])));
        }
        ids
    }

    /// The world and the state agree: the same objects, each once, no placeholders.
    pub fn assert_world_is_state(&self) {
        let prior = self.prior();
        let placeholders: Vec<String> = prior
            .iter()
            .filter(|(_, p)| str_at(&p.value, &["id"]).is_none() || p.intent.is_some())
            .map(|(a, _)| a.to_string())
            .collect();
        assert!(
            placeholders.is_empty(),
            "placeholders left: {placeholders:?}"
        );
        assert_eq!(
            self.state_ids(),
            self.mock.ids(),
            "state {:?}",
            self.addrs()
        );
    }
}
