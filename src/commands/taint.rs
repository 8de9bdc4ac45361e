//! `sakk taint ADDR` / `sakk untaint ADDR`: mark an instance for replacement, or clear the mark.

use crate::cli::TaintArgs;
use crate::ui::Ui;
use engine::addrs::Target;
use state::model::InstanceStatus;

pub fn run(args: &TaintArgs, taint: bool, ui: &Ui) -> u8 {
    let addr = match args.addr.parse::<Target>() {
        Ok(Target::Resource(r)) => r,
        Ok(Target::Module(_)) => {
            ui.error(&format!(
                "\"{}\" is a module; give a resource instance like aws_instance.web or aws_instance.web[0]",
                args.addr
            ));
            return 1;
        }
        Err(e) => {
            ui.error(&format!("invalid address \"{}\": {e}", args.addr));
            return 1;
        }
    };
    let op = if taint { "taint" } else { "untaint" };
    let r = (|| {
        let lock = args.lock.options()?;
        super::project()?.modify(&lock, op, |st| {
        let Some((shell, mut inst)) = st.remove_instance(&addr) else {
            return Err(ops::Error::Message(format!(
                "no resource instance \"{addr}\" in the state\nHint: see `sakk state list` for the addresses it has"
            )));
        };
        let was = inst.status == Some(InstanceStatus::Tainted);
        inst.status = if taint {
            Some(InstanceStatus::Tainted)
        } else {
            None
        };
        st.set_instance(&addr, &shell, inst);
        Ok(match (taint, was) {
            (true, true) => format!("Resource instance {addr} was already tainted."),
            (true, false) => format!(
                "Resource instance {addr} has been marked as tainted: the next apply replaces it."
            ),
            (false, false) => format!("Resource instance {addr} was not tainted."),
            (false, true) => format!("Resource instance {addr} has been successfully untainted."),
        })
        })
    })();
    super::print_result(ui, r)
}
