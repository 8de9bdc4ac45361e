//! `sakk import ADDR ID`: read an existing object through its provider and record it in the
//! state as ADDR (which the configuration must declare). Nothing else changes.

use super::engine_io::{provider_addr, to_instance};
use super::planning::{make_plan, runtime};
use crate::cli::{ImportArgs, PlanningArgs};
use crate::ui::Ui;
use engine::addrs::Target;

pub fn run(args: &ImportArgs, ui: &Ui) -> u8 {
    let addr = match args.addr.parse::<Target>() {
        Ok(Target::Resource(r)) => r,
        Ok(Target::Module(_)) => {
            ui.error(&format!("\"{}\" is a module; give a resource instance address like terraform_data.a or aws_s3_bucket.b[0]", args.addr));
            return 1;
        }
        Err(e) => {
            ui.error(&format!("invalid address \"{}\": {e}", args.addr));
            return 1;
        }
    };
    let rt = match runtime(ui) {
        Ok(rt) => rt,
        Err(c) => return c,
    };
    let opened = match super::backend::open() {
        Ok(o) => o,
        Err(e) => {
            ui.error(&e);
            return 1;
        }
    };
    let r = super::backend::with_lock(
        opened.backend.as_ref(),
        &opened.workspace,
        &args.lock,
        "OperationTypeImport",
        || {
            let st = opened
                .backend
                .get(&opened.workspace)
                .map_err(|e| e.to_string())?;
            if let Some(s) = &st {
                if s.instances().any(|(a, _, _)| a == addr) {
                    return Err(format!("{addr} is already in the state\nHint: to import it again, remove it first with `sakk state rm {addr}`"));
                }
            }
            let planning = PlanningArgs {
                refresh: false,
                imports: vec![(args.addr.clone(), args.id.clone())],
                ..PlanningArgs::default()
            };
            let planned =
                make_plan(&args.vars, &planning, st, &rt, ui).map_err(|_| String::new())?;
            let Some(a) = planned.plan.adoption_of(&addr) else {
                return Err(format!("the configuration has no resource instance {addr} to import into\nHint: add a resource block for it first (with count/for_each, give the key, like {}[0])", args.addr));
            };
            let inst = to_instance(&planned.providers, &addr.type_, &a.value, &a.dependencies)?;
            let mut st = planned.state.clone().unwrap_or_default();
            let template = state::model::Resource {
                module: None,
                mode: addr.mode.into(),
                type_: addr.type_.clone(),
                name: addr.name.clone(),
                provider: provider_addr(&a.provider),
                each: None,
                instances: Vec::new(),
            };
            st.set_instance(&addr, &template, inst);
            st.serial += 1;
            opened
                .backend
                .put(&opened.workspace, &st)
                .map_err(|e| e.to_string())?;
            Ok(())
        },
    );
    match r {
        Ok(()) => {
            println!(
                "{}\n\nThe object \"{}\" is now managed as {addr}; run `sakk plan` to see how it differs from the configuration.",
                ui.green(&ui.bold("Import successful!")),
                args.id
            );
            0
        }
        Err(e) => {
            if !e.is_empty() {
                ui.error(&e);
            }
            1
        }
    }
}
