//! `sakk workspace list|show|new|select|delete`

use crate::cli::WorkspaceCommand;
use crate::ui::Ui;
use ops::project::with_lock;
use state::backend::{check_workspace_name, DEFAULT_WORKSPACE};
use state::config::{current_workspace, select_workspace};
use state::State;
use std::path::Path;

pub fn run(cmd: WorkspaceCommand, ui: &Ui) -> u8 {
    match run_inner(cmd) {
        Ok(msg) => {
            if !msg.is_empty() {
                println!("{msg}");
            }
            0
        }
        Err(e) => {
            ui.error(&e);
            1
        }
    }
}

fn run_inner(cmd: WorkspaceCommand) -> Result<String, String> {
    let dir = Path::new(".");
    let current = current_workspace(dir);
    match cmd {
        WorkspaceCommand::Show => Ok(current),
        WorkspaceCommand::List => {
            let o = super::project().map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            for w in o.backend.workspaces().map_err(|e| e.to_string())? {
                out.push(format!("{} {w}", if w == current { "*" } else { " " }));
            }
            Ok(out.join("\n"))
        }
        WorkspaceCommand::Select { name } => {
            let o = super::project().map_err(|e| e.to_string())?;
            let all = o.backend.workspaces().map_err(|e| e.to_string())?;
            if !all.contains(&name) {
                return Err(format!(
                    "workspace \"{name}\" does not exist (there are: {}).\nHint: create it with `sakk workspace new {name}`",
                    all.join(", ")
                ));
            }
            select_workspace(dir, &name).map_err(|e| e.to_string())?;
            Ok(format!("Switched to workspace \"{name}\"."))
        }
        WorkspaceCommand::New { lock, name } => {
            check_workspace_name(&name)?;
            let o = super::project().map_err(|e| e.to_string())?;
            if o.backend
                .workspaces()
                .map_err(|e| e.to_string())?
                .contains(&name)
            {
                return Err(format!("workspace \"{name}\" already exists.\nHint: select it with `sakk workspace select {name}`"));
            }
            with_lock(
                o.backend.as_ref(),
                &name,
                &lock.options()?,
                "workspace new",
                || {
                    let mut st = State::new();
                    st.serial = 1;
                    Ok(o.backend.put(&name, &st).map_err(|e| e.to_string())?)
                },
            )
            .map_err(|e| e.to_string())?;
            select_workspace(dir, &name).map_err(|e| e.to_string())?;
            Ok(format!("Created and switched to workspace \"{name}\"."))
        }
        WorkspaceCommand::Delete { lock, force, name } => {
            if name == DEFAULT_WORKSPACE {
                return Err("the default workspace cannot be deleted".into());
            }
            if name == current {
                return Err(format!("workspace \"{name}\" is the current one.\nHint: `sakk workspace select default` first"));
            }
            let o = super::project().map_err(|e| e.to_string())?;
            if !o
                .backend
                .workspaces()
                .map_err(|e| e.to_string())?
                .contains(&name)
            {
                return Err(format!("workspace \"{name}\" does not exist"));
            }
            with_lock(o.backend.as_ref(), &name, &lock.options()?, "workspace delete", || {
                if let Some(st) = o.backend.get(&name).map_err(|e| e.to_string())? {
                    if !st.is_empty() && !force {
                        return Err(ops::Error::Message(format!(
                            "workspace \"{name}\" still has {} resource instance(s) in its state; deleting it would forget them without destroying them.\nHint: destroy them first, or pass --force",
                            st.instances().count()
                        )));
                    }
                }
                Ok(o.backend.delete_workspace(&name).map_err(|e| e.to_string())?)
            })
            .map_err(|e| e.to_string())?;
            Ok(format!("Deleted workspace \"{name}\"."))
        }
    }
}
