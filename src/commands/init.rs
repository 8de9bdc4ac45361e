//! `sakk init`: installs the modules the configuration calls (Git sources into
//! `.sakk/modules`, reused offline afterwards).

use crate::cli::InitArgs;
use crate::ui::Ui;
use engine::config::load::load_module;
use engine::diag::{display_path, Sources};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

pub fn run(args: &InitArgs, ui: &Ui) -> u8 {
    let root = Path::new(".");
    println!("{}", ui.bold("Initializing modules..."));
    let mut sources = Sources::new();
    let mut parse_errors = engine::diag::Diagnostics::new();
    let mut discover = |dir: &Path| -> Result<Vec<getmodules::CallInfo>, String> {
        let (m, diags) = load_module(dir, &mut sources);
        let has_errors = diags.has_errors();
        parse_errors.extend(diags);
        if has_errors {
            return Err(format!(
                "the module in {} has errors (shown below)",
                display_path(dir)
            ));
        }
        Ok(m.module_calls
            .values()
            .map(|c| getmodules::CallInfo {
                name: c.name.clone(),
                source: c.source.clone(),
                location: c.source_range.to_string(),
            })
            .collect())
    };
    let opts = getmodules::InstallOptions {
        upgrade: args.upgrade,
    };
    let result = getmodules::install(root, &opts, &mut discover);
    match result {
        Ok(report) => {
            for w in &report.warnings {
                eprintln!("Warning: {w}");
            }
            for m in &report.modules {
                if m.key.is_empty() {
                    continue;
                }
                match &m.action {
                    getmodules::Action::Downloaded => println!(
                        "- {} in {}: downloaded {}{}",
                        m.key,
                        m.dir,
                        m.source,
                        m.commit
                            .as_deref()
                            .map(|c| format!(" at {}", &c[..c.len().min(12)]))
                            .unwrap_or_default()
                    ),
                    getmodules::Action::CopiedFrom(k) => {
                        println!("- {} in {}: same source as {k}", m.key, m.dir)
                    }
                    getmodules::Action::Reused => {
                        println!("- {} in {}: already installed", m.key, m.dir)
                    }
                    getmodules::Action::Local => println!("- {} in {}", m.key, m.dir),
                }
            }
        }
        Err(e) => {
            ui.diagnostics(&parse_errors, &sources);
            ui.error(&e.to_string());
            return 1;
        }
    }
    // Every module is in place: the whole configuration must now load.
    let loaded = ops::load::load(root);
    ui.diagnostics(&loaded.diags, &loaded.sources);
    if loaded.diags.has_errors() {
        return 1;
    }
    let confirm = |q: &str| {
        // Without a terminal there is nobody to ask: --migrate-state is the answer.
        if !std::io::stdin().is_terminal() {
            return true;
        }
        print!("{q}\n  Only 'yes' will be accepted.\n\n  Enter a value: ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        line.trim() == "yes"
    };
    let progress = |line: &str| println!("{line}");
    let lock = match args.lock.options() {
        Ok(l) => l,
        Err(e) => {
            ui.error(&e);
            return 1;
        }
    };
    let o = ops::project::InitBackendOptions {
        backend_config: args.backend_config.clone(),
        bootstrap: args.bootstrap,
        reconfigure: args.reconfigure,
        migrate_state: args.migrate_state,
        force_copy: args.force_copy,
        lock,
        confirm: &confirm,
        progress: &progress,
    };
    match ops::project::init_backend(root, &o) {
        Ok(b) => println!(
            "{}",
            ui.green(&format!(
                "Successfully configured the backend \"{}\": {}",
                b.kind, b.location
            ))
        ),
        Err(e) => return super::fail(ui, &e),
    }
    println!(
        "\n{}",
        ui.green(&ui.bold("sakk has been successfully initialized!"))
    );
    0
}
