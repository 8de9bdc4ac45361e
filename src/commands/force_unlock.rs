//! `sakk force-unlock [--force] LOCK_ID`: releases a lock left by a process that died. Refuses an
//! ID that is not the one of the lock held.

use crate::cli::ForceUnlockArgs;
use crate::ui::Ui;
use std::io::{BufRead, IsTerminal, Write};

pub fn run(args: &ForceUnlockArgs, ui: &Ui) -> u8 {
    let o = match super::project() {
        Ok(o) => o,
        Err(e) => return super::fail(ui, &e),
    };
    if !args.force {
        if !std::io::stdin().is_terminal() {
            ui.error("force-unlock needs confirmation: pass --force (no terminal to ask on)");
            return 1;
        }
        println!(
            "Do you really want to force-unlock {}?\n  sakk will remove the lock; if another process is still using the state, both may write it.\n  Only 'yes' will be accepted to confirm.\n",
            o.backend.location(&o.workspace)
        );
        print!("  Enter a value: ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        if line.trim() != "yes" {
            ui.error("force-unlock cancelled");
            return 1;
        }
    }
    match o.backend.unlock(&o.workspace, &args.lock_id) {
        Ok(()) => {
            println!(
                "{}",
                ui.green(&format!(
                    "The state at {} has been unlocked.",
                    o.backend.location(&o.workspace)
                ))
            );
            0
        }
        Err(e) => {
            ui.error(&e.to_string());
            1
        }
    }
}
