//! `sakk import ADDR ID`

use crate::cli::ImportArgs;
use crate::ui::Ui;

pub fn run(args: &ImportArgs, ui: &Ui) -> u8 {
    let r = (|| {
        let rt = ops::runtime()?;
        let p = super::project()?;
        let lock = args.lock.options()?;
        ops::import::import(&p, &args.vars.inputs(), &args.addr, &args.id, &lock, &rt)
    })();
    match r {
        Ok(()) => {
            println!(
                "{}\n\nThe object \"{}\" is now managed as {}; run `sakk plan` to see how it differs from the configuration.",
                ui.green(&ui.bold("Import successful!")),
                args.id,
                args.addr
            );
            0
        }
        Err(e) => super::fail(ui, &e),
    }
}
