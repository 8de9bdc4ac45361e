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
        after_help = "Examples:\n  sakk plan\n  sakk plan --var region=eu-west-1 --out plan.bin\n  sakk plan --detailed-exitcode"
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
    /// Evaluate expressions against the configuration (reads stdin)
    #[command(
        after_help = "Examples:\n  echo 'cidrsubnet(\"10.0.0.0/16\", 8, 2)' | sakk console\n  sakk console --var region=eu-west-1"
    )]
    Console(ConsoleArgs),
    /// Print the version
    #[command(after_help = "Examples:\n  sakk version\n  sakk version --json")]
    Version(VersionArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Fetch the newest version of every Git module again, even if installed
    #[arg(long)]
    pub upgrade: bool,
    /// Backend settings: a file (backend.hcl) or key=value (repeatable)
    #[arg(long = "backend-config", value_name = "FILE|KEY=VALUE")]
    pub backend_config: Vec<String>,
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
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    /// Save the plan to FILE, for `sakk apply FILE`
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes (0: none, 1: error)
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// Print the plan as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub vars: VarArgs,
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
    "target",
    "replace",
    "refresh",
    "destroy",
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
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
