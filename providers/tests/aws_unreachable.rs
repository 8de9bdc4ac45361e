//! An AWS endpoint that cannot be reached: a closed port (connection refused), a blackhole that
//! accepts connections and never answers (read timeout), and one that drops SYNs (connect
//! timeout). Each call must fail well within 30 s (not after ~10 minutes of retries) with one
//! short paragraph naming the endpoint, the region and the credential source, and no `Debug`.
//! No moto needed: the endpoints are sockets of the test.
mod common;
use common::*;
use engine::lang::value::Value;
use engine::provider::{ProviderError, ProviderInstance};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(30);

fn dummy_credentials() {
    // The same values in every test of this binary (tests run in parallel threads).
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::remove_var("AWS_PROFILE");
    std::env::remove_var("AWS_SESSION_TOKEN");
}

async fn create_bucket(inst: &dyn ProviderInstance) -> (ProviderError, Duration) {
    let t = "aws_s3_bucket";
    let c = cfg(
        t,
        &[("bucket", Value::string(format!("sakk-u-{}", uniq())))],
    );
    let plan = inst
        .plan(engine::provider::PlanRequest {
            type_: t,
            prior: None,
            config: &c,
        })
        .unwrap_or_else(|e| panic!("plan: {e}"));
    let start = Instant::now();
    let r = inst.create(t, &plan.planned, &op("aws_s3_bucket.b")).await;
    let took = start.elapsed();
    match r {
        Ok(v) => panic!("create against an unreachable endpoint succeeded: {v:?}"),
        Err(e) => (e, took),
    }
}

/// The error names `endpoint`, the region and the credential source, and has no Debug dump.
fn assert_clear(e: &ProviderError, endpoint: &str, reason: &str) {
    let text = format!(
        "{}\n{}\n{}",
        e.summary,
        e.detail,
        e.hint.as_deref().unwrap_or("")
    );
    assert!(
        e.summary
            .contains(&format!("cannot reach the AWS endpoint {endpoint}")),
        "{text}"
    );
    assert!(e.summary.contains(reason), "{text}");
    assert!(e.detail.contains("region us-east-1"), "{text}");
    assert!(
        e.detail.contains("credentials from environment variables"),
        "{text}"
    );
    assert!(
        e.hint.as_deref().unwrap_or("").contains("AWS_ENDPOINT_URL"),
        "{text}"
    );
    for noise in [
        "DispatchFailure(",
        "ConnectorError {",
        "Some(",
        "source:",
        "kind:",
    ] {
        assert!(!text.contains(noise), "Debug noise {noise:?} in:\n{text}");
    }
    assert!(text.len() < 600, "too long ({} chars):\n{text}", text.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_port_fails_at_once_and_a_dead_endpoint_is_not_retried_again() {
    dummy_credentials();
    let ep = "http://127.0.0.1:1";
    let inst = instance(ep).await;
    let (e, took) = create_bucket(inst.as_ref()).await;
    eprintln!("closed port: {took:?}: {} / {}", e.summary, e.detail);
    assert!(took < BOUND, "took {took:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_clear(&e, ep, "connection refused");
    assert!(e.detail.contains("3 attempts"), "{}", e.detail);
    // The endpoint is known to be unreachable now: the next call fails without being sent.
    let (e, took) = create_bucket(inst.as_ref()).await;
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_clear(&e, ep, "connection refused");
    assert!(
        e.detail
            .contains("not sent: another call found this endpoint unreachable"),
        "{}",
        e.detail
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn many_calls_to_a_blackhole_wait_for_one_timeout_not_one_each() {
    dummy_credentials();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    let ep = format!("http://{addr}");
    let inst = instance(&ep).await;
    let start = Instant::now();
    // As a plan refreshing many objects: a concurrent batch, then one by one (the engine
    // reads failed refreshes again, in sequence).
    let batch: Vec<_> = (0..8)
        .map(|_| {
            let inst = inst.clone();
            tokio::spawn(async move { create_bucket(inst.as_ref()).await })
        })
        .collect();
    for b in batch {
        let (e, _) = b.await.expect("join");
        assert_clear(&e, &ep, "no response");
    }
    for _ in 0..8 {
        let (e, took) = create_bucket(inst.as_ref()).await;
        assert!(took < Duration::from_secs(1), "took {took:?}");
        assert_clear(&e, &ep, "no response");
    }
    let took = start.elapsed();
    task.abort();
    eprintln!("16 calls to a blackhole: {took:?}");
    assert!(took < BOUND, "took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn blackhole_that_accepts_and_never_answers_fails_within_the_bound() {
    dummy_credentials();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let acc = accepted.clone();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            acc.fetch_add(1, Ordering::SeqCst);
            held.push(conn); // never read, never answered, never closed
        }
    });
    let ep = format!("http://{addr}");
    let inst = instance(&ep).await;
    let (e, took) = create_bucket(inst.as_ref()).await;
    task.abort();
    eprintln!("blackhole: {took:?}: {} / {}", e.summary, e.detail);
    assert!(took < BOUND, "took {took:?}");
    assert!(accepted.load(Ordering::SeqCst) >= 1, "never connected");
    assert_clear(&e, &ep, "no response");
}

#[tokio::test(flavor = "multi_thread")]
async fn address_that_drops_syns_fails_within_the_bound() {
    dummy_credentials();
    // A listener with a full accept queue: Linux drops further SYNs, as a firewall that
    // blackholes the address would. (Elsewhere it may refuse instead: still bounded.)
    let sock = tokio::net::TcpSocket::new_v4().expect("socket");
    sock.bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let addr = sock.local_addr().expect("addr");
    let listener = sock.listen(0).expect("listen");
    let mut fill = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(c)) = tokio::time::timeout(
            Duration::from_millis(300),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fill.push(c);
        }
    }
    let ep = format!("http://{addr}");
    let inst = instance(&ep).await;
    let (e, took) = create_bucket(inst.as_ref()).await;
    eprintln!("SYN blackhole: {took:?}: {} / {}", e.summary, e.detail);
    assert!(took < BOUND, "took {took:?}");
    assert!(
        e.summary
            .contains(&format!("cannot reach the AWS endpoint {ep}")),
        "{}",
        e.summary
    );
    assert_clear(
        &e,
        &ep,
        if e.summary.contains("refused") {
            "refused"
        } else {
            "connect timed out"
        },
    );
    drop((listener, fill));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_answered_before_is_retried_longer_but_the_call_still_ends() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    dummy_credentials();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    // Answers every request with 403 until told to stop, then closes the port.
    let server = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                r = listener.accept() => {
                    let Ok((mut c, _)) = r else { break };
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 65536];
                        let _ = c.read(&mut buf).await;
                        let _ = c
                            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                            .await;
                    });
                }
            }
        }
    });
    let ep = format!("http://{addr}");
    let inst = instance(&ep).await;
    let (e, _) = create_bucket(inst.as_ref()).await;
    assert!(
        !e.summary.contains("cannot reach"),
        "the endpoint answered: {}",
        e.summary
    );
    let _ = stop_tx.send(());
    let _ = server.await;
    // Now refused: the endpoint answered before, so this may be a blip and is retried for
    // WENT_AWAY_BUDGET (30 s), then the call ends.
    let (e, took) = create_bucket(inst.as_ref()).await;
    eprintln!("went away: {took:?}: {} / {}", e.summary, e.detail);
    assert_clear(&e, &ep, "connection refused");
    assert!(took > Duration::from_secs(20), "took {took:?}");
    assert!(took < Duration::from_secs(70), "took {took:?}");
    assert!(!e.detail.contains("after 3 attempts"), "{}", e.detail);
}
