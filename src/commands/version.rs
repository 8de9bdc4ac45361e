//! `sakk version`

use crate::cli::VersionArgs;

pub fn run(args: &VersionArgs) -> u8 {
    let v = env!("CARGO_PKG_VERSION");
    if args.json {
        println!(
            "{}",
            serde_json::json!({"sakk_version": v, "terraform_language": "1.0"})
        );
    } else {
        println!("sakk v{v}");
    }
    0
}
