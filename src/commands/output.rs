//! `sakk output [--json] [--raw] [NAME]`

use super::outputs;
use crate::cli::OutputArgs;
use crate::ui::Ui;

pub fn run(args: &OutputArgs, ui: &Ui) -> u8 {
    let st = super::project().and_then(|o| o.read_state());
    let st = match st {
        Ok(s) => s.unwrap_or_default(),
        Err(e) => return super::fail(ui, &e),
    };
    let json_of = |o: &state::model::OutputValue| serde_json::json!({"sensitive": o.sensitive, "type": o.type_, "value": o.value});
    match &args.name {
        Some(name) => {
            let Some(o) = st.outputs.get(name) else {
                ui.error(&format!(
                    "Output \"{name}\" not found.\nThe output variable requested could not be found in the state file. If you recently added this to your configuration, be sure to run `sakk apply`, since the state won't be updated with new output variables until that command is run."
                ));
                return 1;
            };
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&o.value).unwrap_or_default()
                );
            } else if args.raw {
                match &o.value {
                    serde_json::Value::String(s) => print!("{s}"),
                    serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {
                        print!("{}", o.value)
                    }
                    _ => {
                        ui.error(&format!("Unsupported value for raw output: the value for output \"{name}\" is {}; --raw only prints strings, numbers and bools. Use --json for complex values.", o.type_));
                        return 1;
                    }
                }
            } else if o.sensitive {
                println!("<sensitive>");
            } else {
                println!("{}", outputs::render_raw(o));
            }
        }
        None => {
            if args.raw {
                ui.error("--raw needs the name of one output");
                return 1;
            }
            if args.json {
                let all: serde_json::Map<String, serde_json::Value> = st
                    .outputs
                    .iter()
                    .map(|(k, o)| (k.clone(), json_of(o)))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
            } else {
                if st.outputs.is_empty() {
                    eprintln!("Warning: No outputs found\n\nThe state file either has no outputs defined, or all the defined outputs are empty. Please define an output in your configuration with the `output` keyword and run `sakk apply` for it to become available.");
                    return 0;
                }
                for (name, o) in &st.outputs {
                    let shown = if o.sensitive {
                        "<sensitive>".to_string()
                    } else {
                        outputs::render_raw(o)
                    };
                    println!("{name} = {shown}");
                }
            }
        }
    }
    0
}
