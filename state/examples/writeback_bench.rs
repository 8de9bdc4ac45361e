//! Write-back benchmark: 10,000 resource updates through the [`state::writer::StateWriter`] to the
//! local backend and to S3 (moto, when `AWS_ENDPOINT_URL` is set), printing total time and the
//! number of PUTs (full state writes). Not a timed test.
//!
//!   eval "$(scripts/moto ensure)" && cargo run --release -p sakk-state --example writeback_bench

use engine::addrs::{InstanceKey, ModuleInstance, ResourceInstance};
use engine::config::Mode;
use state::backend::local::LocalBackend;
use state::backend::s3::{S3Backend, S3Config};
use state::backend::Backend;
use state::model::Instance;
use state::writer::{StateWriter, Update};
use state::State;
use std::sync::Arc;
use std::time::Instant;

const N: usize = 10_000;

fn update(i: usize) -> Update {
    Update::SetInstance {
        addr: ResourceInstance {
            module: ModuleInstance::default()
                .child("tenant", Some(InstanceKey::Str(format!("t{}", i % 100)))),
            mode: Mode::Managed,
            type_: "aws_iam_role".into(),
            name: "r".into(),
            key: Some(InstanceKey::Int((i / 100) as i64)),
        },
        provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
        instance: Box::new(Instance {
            index_key: None,
            status: None,
            deposed: None,
            schema_version: 0,
            attributes: serde_json::json!({
                "id": format!("role-{i}"),
                "arn": format!("arn:aws:iam::123456789012:role/role-{i}"),
                "tags": {"Name": format!("role-{i}"), "Owner": "platform"},
            }),
            sensitive_attributes: vec![],
            private: None,
            dependencies: vec!["aws_iam_policy.base".into()],
            create_before_destroy: false,
        }),
    }
}

/// `pace`: pause between updates (the engine finishing resources one after another).
fn run(
    name: &str,
    backend: Arc<dyn Backend>,
    pace: Option<std::time::Duration>,
) -> Result<(), String> {
    let start = Instant::now();
    let w = StateWriter::spawn(backend.clone(), "default", State::new(), None);
    let h = w.handle();
    for i in 0..N {
        h.send(update(i)).map_err(|e| e.to_string())?;
        if let Some(p) = pace {
            std::thread::sleep(p);
        }
    }
    let (st, stats) = w.finish();
    let stats = stats.map_err(|e| e.to_string())?;
    let total = start.elapsed();
    let stored = backend
        .get("default")
        .map_err(|e| e.to_string())?
        .ok_or("no state stored")?;
    let n: usize = stored.resources.iter().map(|r| r.instances.len()).sum();
    if n != N || stored.serial != st.serial {
        return Err(format!("stored {n} instances, serial {}", stored.serial));
    }
    let size = st.to_bytes().len();
    println!(
        "| {name:<12} | {N:>7} | {:>9.2} | {:>5} | {:>6} | {:>8.1} |",
        total.as_secs_f64(),
        stats.puts,
        stats.serial,
        size as f64 / 1024.0 / 1024.0
    );
    Ok(())
}

fn main() -> std::process::ExitCode {
    println!("| backend      | updates | total (s) | PUTs  | serial | MiB/PUT  |");
    println!("|--------------|---------|-----------|-------|--------|----------|");
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("tempdir: {e}");
            return 1.into();
        }
    };
    let mut ok = true;
    let pace = Some(std::time::Duration::from_micros(100));
    for (name, sub, p) in [("local burst", "a", None), ("local paced", "b", pace)] {
        if let Err(e) = run(
            name,
            Arc::new(LocalBackend::new(&dir.path().join(sub), None, None)),
            p,
        ) {
            eprintln!("{name}: {e}");
            ok = false;
        }
    }
    if std::env::var_os("AWS_ENDPOINT_URL").is_some() {
        let id = std::process::id();
        let cfg = S3Config {
            bucket: format!("sakk-bench-{id}"),
            key: "bench/terraform.tfstate".into(),
            region: "us-east-1".into(),
            dynamodb_table: Some(format!("sakk-bench-locks-{id}")),
            encrypt: true,
            workspace_key_prefix: "env:".into(),
            ..S3Config::default()
        };
        let r = S3Backend::new(cfg)
            .map_err(|e| e.to_string())
            .and_then(|b| {
                b.check(true).map_err(|e| e.to_string())?;
                let b: Arc<dyn Backend> = Arc::new(b);
                run("s3 burst", b.clone(), None)?;
                run("s3 paced", b, pace)
            });
        if let Err(e) = r {
            eprintln!("s3: {e}");
            ok = false;
        }
    } else {
        println!("| s3           | skipped: AWS_ENDPOINT_URL not set (eval \"$(scripts/moto ensure)\") |");
    }
    if ok {
        0.into()
    } else {
        1.into()
    }
}
