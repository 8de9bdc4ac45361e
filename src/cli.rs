//! Command-line definitions (clap). Terraform's single-dash long options (`-chdir=DIR`,
//! `-auto-approve`, `-var`, `-json`) are accepted: [`normalize_args`] rewrites them to the
//! GNU spelling before clap sees them.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "sakk",
    version,
    about = "Infrastructure as code for fleets of EKS clusters with multi-tenant Kubeflow",
    long_about = "sakk reads Terraform-style HCL, plans the difference against its state, applies it to AWS \
and commits the Kubernetes side (Argo CD Applications, Kubeflow Profiles) to Git.",
    after_help = "Examples:\n  sakk init\n  sakk plan --out plan.bin\n  sakk apply plan.bin\n  sakk -C examples/simple validate",
    propagate_version = true
)]
pub struct Cli {
    /// Switch to DIR before doing anything (Terraform's -chdir=DIR)
    #[arg(short = 'C', long = "chdir", global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,

    /// Never use colour (also: NO_COLOR=1 in the environment)
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Prepare a working directory: install modules, configure the backend
    #[command(
        after_help = "Examples:\n  sakk init\n  sakk init --upgrade\n  sakk -C examples/simple init"
    )]
    Init(InitArgs),
    /// Check that the configuration is valid (syntax, references, module inputs, cycles)
    #[command(
        after_help = "Examples:\n  sakk validate\n  sakk validate --json | jq '.diagnostics[].summary'"
    )]
    Validate(ValidateArgs),
    /// Rewrite configuration files in the canonical style
    #[command(
        after_help = "Examples:\n  sakk fmt\n  sakk fmt --check --recursive\n  sakk fmt --diff modules/network/main.tf"
    )]
    Fmt(FmtArgs),
    /// Print the dependency graph in Graphviz DOT format
    #[command(after_help = "Examples:\n  sakk graph | dot -Tsvg > graph.svg")]
    Graph(GraphArgs),
    /// Show the changes an apply would make
    #[command(
        after_help = "Examples:\n  sakk plan\n  sakk plan --var region=eu-west-1 --out plan.bin\n  sakk plan --detailed-exitcode\n  sakk plan --changed-since origin/main -C examples   # the root modules a pull request affects"
    )]
    Plan(PlanArgs),
    /// Make the planned changes
    #[command(
        after_help = "Examples:\n  sakk apply\n  sakk apply --auto-approve --var-file prod.tfvars"
    )]
    Apply(ApplyArgs),
    /// Print the root module's outputs
    #[command(
        after_help = "Examples:\n  sakk output\n  sakk output --json\n  sakk output --raw cluster_name"
    )]
    Output(OutputArgs),
    /// Destroy everything the state has (apply --destroy)
    #[command(
        after_help = "Examples:\n  sakk destroy\n  sakk destroy --auto-approve --target module.tenant"
    )]
    Destroy(ApplyArgs),
    /// Update the state from reality without changing anything (apply --refresh-only)
    #[command(after_help = "Examples:\n  sakk refresh")]
    Refresh(ApplyArgs),
    /// Evaluate expressions against the configuration (reads stdin)
    #[command(
        after_help = "Examples:\n  echo 'cidrsubnet(\"10.0.0.0/16\", 8, 2)' | sakk console\n  sakk console --var region=eu-west-1"
    )]
    Console(ConsoleArgs),
    /// Print the version
    #[command(after_help = "Examples:\n  sakk version\n  sakk version --json")]
    Version(VersionArgs),
    /// Inspect and change the state: list, show, rm, mv, pull, push
    #[command(
        subcommand,
        after_help = "Examples:\n  sakk state list\n  sakk state show 'module.net[\"eu\"].aws_vpc.main'\n  sakk state mv aws_s3_bucket.a aws_s3_bucket.b\n  sakk state pull > backup.tfstate"
    )]
    State(StateCommand),
    /// Manage workspaces (one state each): list, new, select, delete, show
    #[command(
        subcommand,
        after_help = "Examples:\n  sakk workspace new staging\n  sakk workspace select default\n  sakk workspace list"
    )]
    Workspace(WorkspaceCommand),
    /// Release a lock left behind by a process that died
    #[command(
        after_help = "Examples:\n  sakk force-unlock 6d3f6f3e-1d2b-4c2c-9b7e-2f0e1f1e2d3c\n  sakk force-unlock --force LOCK_ID"
    )]
    ForceUnlock(ForceUnlockArgs),
    /// Import an existing object into the state as a resource instance of the configuration
    #[command(
        after_help = "Examples:\n  sakk import terraform_data.a my-id\n  sakk import 'module.net.aws_vpc.main[0]' vpc-0123"
    )]
    Import(ImportArgs),
    /// Mark a resource instance for replacement by the next apply
    #[command(
        after_help = "Examples:\n  sakk taint aws_instance.web\n  sakk untaint aws_instance.web"
    )]
    Taint(TaintArgs),
    /// Clear a resource instance's tainted mark
    #[command(after_help = "Examples:\n  sakk untaint aws_instance.web")]
    Untaint(TaintArgs),
    /// Show a saved plan (human-readable or --json), checked against the current state
    #[command(after_help = "Examples:\n  sakk show plan.bin\n  sakk show --json plan.bin")]
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// The resource instance address in the configuration
    pub addr: String,
    /// The provider's ID of the existing object
    pub id: String,
}

#[derive(Debug, Args)]
pub struct TaintArgs {
    #[command(flatten)]
    pub lock: LockArgs,
    /// The resource instance address
    pub addr: String,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Print the plan as JSON
    #[arg(long)]
    pub json: bool,
    /// A plan file saved by `sakk plan --out`
    pub plan_file: PathBuf,
}

/// State locking options of every command that reads or writes the state.
#[derive(Debug, Args, Clone)]
pub struct LockArgs {
    /// Lock the state while working (--lock=false: don't; dangerous when others use it)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub lock: bool,
    /// How long to wait for a lock someone else holds (e.g. 30s, 5m)
    #[arg(long = "lock-timeout", default_value = "0s", value_name = "DURATION")]
    pub lock_timeout: String,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the resource instances in the state (all, or those the addresses select)
    List {
        /// Addresses to filter by (a module selects everything in it)
        addrs: Vec<String>,
    },
    /// Show one resource instance's attributes (sensitive values hidden)
    Show { addr: String },
    /// Forget resource instances (they are not destroyed)
    Rm {
        #[command(flatten)]
        lock: LockArgs,
        #[arg(required = true)]
        addrs: Vec<String>,
    },
    /// Move or rename a resource, an instance or a module in the state
    Mv {
        #[command(flatten)]
        lock: LockArgs,
        src: String,
        dst: String,
    },
    /// Print the state document (stdout)
    Pull,
    /// Replace the state with a local state file
    Push {
        #[command(flatten)]
        lock: LockArgs,
        /// Accept a different lineage or a lower serial
        #[arg(long)]
        force: bool,
        /// The state file ("-" for stdin)
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// List the workspaces; the current one is marked with *
    List,
    /// Print the current workspace
    Show,
    /// Create a workspace and select it
    New {
        #[command(flatten)]
        lock: LockArgs,
        name: String,
    },
    /// Select a workspace
    Select { name: String },
    /// Delete a workspace (its state must be empty unless --force)
    Delete {
        #[command(flatten)]
        lock: LockArgs,
        /// Delete even if the state still has resources
        #[arg(long)]
        force: bool,
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// Do not ask for confirmation
    #[arg(long)]
    pub force: bool,
    /// The lock ID printed by the command that found the state locked
    pub lock_id: String,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Fetch the newest version of every Git module again, even if installed
    #[arg(long)]
    pub upgrade: bool,
    /// Backend settings: a file (backend.hcl) or key=value (repeatable)
    #[arg(long = "backend-config", value_name = "FILE|KEY=VALUE")]
    pub backend_config: Vec<String>,
    /// Create a missing S3 bucket (versioned, encrypted, private) and DynamoDB lock table
    #[arg(long)]
    pub bootstrap: bool,
    /// Copy the existing state to the new backend when the backend changed
    #[arg(long = "migrate-state")]
    pub migrate_state: bool,
    /// Like --migrate-state, answering yes to every question (for CI)
    #[arg(long = "force-copy")]
    pub force_copy: bool,
    /// Use the backend configuration as given, ignoring the recorded one (no migration)
    #[arg(long)]
    pub reconfigure: bool,
    #[command(flatten)]
    pub lock: LockArgs,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Do not write; exit 3 if any file would change
    #[arg(long)]
    pub check: bool,
    /// Print the changes as a unified diff
    #[arg(long)]
    pub diff: bool,
    /// Also format files in subdirectories
    #[arg(long)]
    pub recursive: bool,
    /// Print the names of changed files (default true)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub list: bool,
    /// Files or directories (default: the current directory)
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GraphArgs {}

/// Input variable options shared by plan and apply.
#[derive(Debug, Args, Clone, Default)]
pub struct VarArgs {
    /// Set an input variable: NAME=VALUE (repeatable; HCL syntax for lists and maps)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read input variables from a .tfvars or .tfvars.json file (repeatable)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// `--var` and `--var-file` interleaved in command-line order (filled from clap's
    /// argument indices by [`parse`]).
    #[arg(skip)]
    pub ordered: Vec<engine::evaluate::inputs::CliInput>,
}

impl VarArgs {
    /// The inputs for the operations layer: these arguments and the process environment.
    pub fn inputs(&self) -> ops::load::InputOptions {
        ops::load::InputOptions::from_env(self.ordered.clone())
    }

    /// Interleaves `vars` and `var_files` by their positions on the command line.
    fn order(&mut self, m: &clap::ArgMatches) {
        use engine::evaluate::inputs::CliInput;
        let idx = |id: &str| -> Vec<usize> {
            m.try_get_raw_occurrences(id)
                .ok()
                .flatten()
                .map(|_| m.indices_of(id).map(|i| i.collect()).unwrap_or_default())
                .unwrap_or_default()
        };
        let mut all: Vec<(usize, CliInput)> = idx("vars")
            .into_iter()
            .zip(&self.vars)
            .map(|(i, v)| (i, CliInput::Var(v.clone())))
            .chain(
                idx("var_files")
                    .into_iter()
                    .zip(&self.var_files)
                    .map(|(i, f)| (i, CliInput::VarFile(f.clone()))),
            )
            .collect();
        all.sort_by_key(|(i, _)| *i);
        self.ordered = all.into_iter().map(|(_, c)| c).collect();
    }
}

/// Parses the (normalised) arguments; `--var`/`--var-file` keep their command-line order.
pub fn parse(args: Vec<String>) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let m = Cli::command().try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&m)?;
    if let Some((_, sub)) = m.subcommand() {
        let vars = match &mut cli.command {
            Command::Plan(a) => Some(&mut a.vars),
            Command::Apply(a) | Command::Destroy(a) | Command::Refresh(a) => Some(&mut a.vars),
            Command::Console(a) => Some(&mut a.vars),
            Command::Import(a) => Some(&mut a.vars),
            _ => None,
        };
        if let Some(v) = vars {
            v.order(sub);
        }
    }
    Ok(cli)
}

impl LockArgs {
    pub fn options(&self) -> Result<ops::project::LockOptions, String> {
        Ok(ops::project::LockOptions {
            enabled: self.lock,
            timeout: state::lock::parse_duration(&self.lock_timeout)
                .map_err(|e| format!("--lock-timeout: {e}"))?,
        })
    }
}

impl PlanningArgs {
    pub fn options(&self) -> ops::planning::PlanOptions {
        use engine::evaluate::resources::PlanMode;
        ops::planning::PlanOptions {
            mode: if self.destroy {
                PlanMode::Destroy
            } else if self.refresh_only {
                PlanMode::RefreshOnly
            } else {
                PlanMode::Normal
            },
            refresh: self.refresh,
            targets: self.targets.clone(),
            replace: self.replace.clone(),
            gitops_branch: self.gitops_branch.clone(),
            imports: self.imports.clone(),
        }
    }
}

/// What to plan: shared by plan, apply and destroy.
#[derive(Debug, Args, Clone, Default)]
pub struct PlanningArgs {
    /// Plan only this resource or module, and what it depends on (repeatable)
    #[arg(long = "target", value_name = "ADDR")]
    pub targets: Vec<String>,
    /// Replace this resource instance even if nothing forces it (repeatable)
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Read every resource from its provider first (--refresh=false: trust the state)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub refresh: bool,
    /// Plan to destroy everything
    #[arg(long)]
    pub destroy: bool,
    /// Only update the state from reality (sakk refresh)
    #[arg(long = "refresh-only")]
    pub refresh_only: bool,
    /// Commit GitOps manifests to this branch instead of the tracked one (pull-request mode)
    #[arg(long = "gitops-branch", value_name = "NAME")]
    pub gitops_branch: Option<String>,
    /// (address, id) to import (`sakk import`); not a flag
    #[arg(skip)]
    pub imports: Vec<(String, String)>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Print a collapsible Markdown summary (for a pull-request comment)
    #[arg(long)]
    pub markdown: bool,
    /// Save the plan to FILE, for `sakk apply FILE`
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes (0: none, 1: error)
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// Print the plan as JSON
    #[arg(long)]
    pub json: bool,
    /// List the root modules under the directory affected by changes since REF, instead of planning
    ///
    /// REF is any Git revision (a branch, origin/main, a tag, a commit, HEAD~1). The working
    /// directory (staged, unstaged and untracked files, not ignored ones) is compared with REF's
    /// tree. A root module is a directory of *.tf / *.tf.json files that no other module under
    /// the directory calls as a local source (./x, ../x); it is affected when a changed file is
    /// in its directory or in a local module it calls, transitively (also outside the
    /// directory). Prints one path per line, relative to the directory (-C), sorted; with
    /// --json: {"changed_since": SHA, "root_modules": [{"path", "reasons"}]}.
    #[arg(
        long = "changed-since",
        value_name = "REF",
        conflicts_with_all = [
            "out", "markdown", "detailed_exitcode", "targets", "replace", "destroy",
            "refresh_only", "gitops_branch", "vars", "var_files", "lock", "lock_timeout", "refresh",
        ]
    )]
    pub changed_since: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// How many operations may run at once
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub parallelism: usize,
    /// How often a long operation reports its elapsed time ("Still creating... [1m10s elapsed]")
    #[arg(
        long = "progress-interval",
        default_value = "10s",
        value_name = "DURATION"
    )]
    pub progress_interval: String,
    /// Do not ask for confirmation
    #[arg(long = "auto-approve")]
    pub auto_approve: bool,
    /// Print events as JSON lines
    #[arg(long)]
    pub json: bool,
    /// A plan file saved by `sakk plan --out`
    pub plan_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print all outputs (or one) as JSON
    #[arg(long)]
    pub json: bool,
    /// Print one string output's raw value, without quotes
    #[arg(long)]
    pub raw: bool,
    /// The output to print (default: all)
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    #[arg(long)]
    pub json: bool,
}

/// Long options that Terraform users spell with one dash.
const LONG_OPTIONS: &[&str] = &[
    "chdir",
    "no-color",
    "auto-approve",
    "var",
    "var-file",
    "json",
    "out",
    "detailed-exitcode",
    "check",
    "diff",
    "recursive",
    "list",
    "raw",
    "upgrade",
    "backend-config",
    "help",
    "version",
    "input",
    "lock",
    "lock-timeout",
    "parallelism",
    "progress-interval",
    "target",
    "replace",
    "refresh",
    "destroy",
    "markdown",
    "gitops-branch",
    "changed-since",
    "refresh-only",
    "force",
    "bootstrap",
    "migrate-state",
    "force-copy",
    "reconfigure",
];

/// Rewrites `-name` / `-name=value` to `--name` / `--name=value` for known long options, and
/// drops Terraform's `-input=false` (sakk never prompts unless on a terminal).
pub fn normalize_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut passthrough = false;
    for a in args {
        if passthrough || a == "--" {
            passthrough = true;
            out.push(a);
            continue;
        }
        if let Some(rest) = a.strip_prefix('-') {
            if !rest.starts_with('-') && rest.len() > 1 {
                let name = rest.split('=').next().unwrap_or(rest);
                if LONG_OPTIONS.contains(&name) {
                    if name == "input" {
                        continue;
                    }
                    out.push(format!("-{a}"));
                    continue;
                }
            }
        }
        out.push(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(a: &[&str]) -> Vec<String> {
        normalize_args(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn terraform_spellings_become_gnu() {
        assert_eq!(
            norm(&[
                "sakk",
                "-chdir=x",
                "apply",
                "-auto-approve",
                "-var",
                "a=-1",
                "-json"
            ]),
            vec![
                "sakk",
                "--chdir=x",
                "apply",
                "--auto-approve",
                "--var",
                "a=-1",
                "--json"
            ]
        );
        assert_eq!(
            norm(&["sakk", "-C", "d", "plan"]),
            vec!["sakk", "-C", "d", "plan"]
        );
        assert_eq!(
            norm(&["sakk", "plan", "-input=false"]),
            vec!["sakk", "plan"]
        );
        assert_eq!(
            norm(&["sakk", "output", "--", "-json"]),
            vec!["sakk", "output", "--", "-json"]
        );
    }

    #[test]
    fn var_and_var_file_keep_their_order() {
        use engine::evaluate::inputs::CliInput;
        let cli = parse(norm(&[
            "sakk",
            "plan",
            "--var-file",
            "a.tfvars",
            "-var",
            "x=1",
            "--var=y=2",
            "--var-file=b.tfvars",
        ]))
        .unwrap();
        let Command::Plan(p) = cli.command else {
            panic!("plan")
        };
        assert_eq!(
            p.vars.ordered,
            vec![
                CliInput::VarFile("a.tfvars".into()),
                CliInput::Var("x=1".into()),
                CliInput::Var("y=2".into()),
                CliInput::VarFile("b.tfvars".into()),
            ]
        );
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
