//! A loopback HTTP proxy in front of moto that injects faults: a share of requests is answered
//! with HTTP 500, with a throttling error in the protocol's own shape, or has its connection
//! dropped — before the request reaches moto (no side effect) or after moto answered (the
//! side effect happened, the response is lost). Decisions come from a seeded generator, so a run
//! is reproducible. One request per connection (`Connection: close` both ways).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub forwarded: AtomicU64,
    pub http_500: AtomicU64,
    pub throttled: AtomicU64,
    pub dropped_before: AtomicU64,
    pub dropped_after: AtomicU64,
}

impl Stats {
    pub fn summary(&self) -> String {
        format!(
            "requests={} forwarded={} http_500={} throttled={} dropped_before={} dropped_after_response={}",
            self.requests.load(Ordering::SeqCst),
            self.forwarded.load(Ordering::SeqCst),
            self.http_500.load(Ordering::SeqCst),
            self.throttled.load(Ordering::SeqCst),
            self.dropped_before.load(Ordering::SeqCst),
            self.dropped_after.load(Ordering::SeqCst),
        )
    }
    pub fn faults(&self) -> u64 {
        self.http_500.load(Ordering::SeqCst)
            + self.throttled.load(Ordering::SeqCst)
            + self.dropped_before.load(Ordering::SeqCst)
            + self.dropped_after.load(Ordering::SeqCst)
    }
}

/// Fault shares, in percent of requests.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    pub http_500: u64,
    pub throttle: u64,
    pub drop_before: u64,
    pub drop_after: u64,
}

pub struct Proxy {
    pub url: String,
    pub stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the proxy on 127.0.0.1 (a free port) in front of `upstream` (http://host:port).
pub async fn start(upstream: &str, faults: Faults, seed: u64) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("proxy address");
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let stats = Arc::new(Stats::default());
    let rng = Arc::new(AtomicU64::new(seed));
    let st = stats.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                continue;
            };
            let (up, st, rng) = (upstream.clone(), st.clone(), rng.clone());
            tokio::spawn(async move {
                let _ = serve(conn, &up, faults, &st, &rng).await;
            });
        }
    });
    Proxy {
        url: format!("http://{addr}"),
        stats,
        task,
    }
}

fn next(rng: &AtomicU64) -> u64 {
    // SplitMix64 on a shared counter: reproducible for a sequence of requests.
    let mut z = rng
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::SeqCst)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 100
}

async fn read_request(conn: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let header_end = loop {
        let n = conn.read(&mut tmp).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = conn.read(&mut tmp).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    Ok(Some(buf))
}

/// Sets `Connection: close` in a request or response head.
fn with_close(msg: &[u8]) -> Vec<u8> {
    let Some(end) = msg.windows(4).position(|w| w == b"\r\n\r\n") else {
        return msg.to_vec();
    };
    let head = String::from_utf8_lossy(&msg[..end]);
    let mut out: Vec<String> = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(str::to_string)
        .collect();
    out.push("Connection: close".into());
    let mut v = out.join("\r\n").into_bytes();
    v.extend_from_slice(&msg[end..]);
    v
}

fn error_response(req: &[u8], status: u16, throttle: bool) -> Vec<u8> {
    let head = String::from_utf8_lossy(&req[..req.len().min(4096)]).to_ascii_lowercase();
    let (ctype, body) = if head.contains("x-amz-target:") {
        let code = if throttle {
            "ThrottlingException"
        } else {
            "InternalServerError"
        };
        ("application/x-amz-json-1.0", format!("{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{code}\",\"message\":\"injected fault\"}}"))
    } else if head.contains("application/x-www-form-urlencoded")
        && String::from_utf8_lossy(req).contains("Version=2016-11-15")
    {
        // EC2's query protocol has its own error shape.
        let code = if throttle {
            "RequestLimitExceeded"
        } else {
            "InternalError"
        };
        ("text/xml", format!("<Response><Errors><Error><Code>{code}</Code><Message>injected fault</Message></Error></Errors><RequestID>fault</RequestID></Response>"))
    } else if head.contains("application/x-www-form-urlencoded") || head.contains(" /2013-04-01/") {
        let code = if throttle {
            "Throttling"
        } else {
            "InternalFailure"
        };
        ("text/xml", format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected fault</Message></Error><RequestId>fault</RequestId></ErrorResponse>"))
    } else {
        let code = if throttle {
            "SlowDown"
        } else {
            "InternalError"
        };
        ("application/xml", format!("<Error><Code>{code}</Code><Message>injected fault</Message><RequestId>fault</RequestId></Error>"))
    };
    let reason = match status {
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Bad Request",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nx-amzn-requestid: fault\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(
    mut conn: TcpStream,
    upstream: &str,
    f: Faults,
    st: &Stats,
    rng: &AtomicU64,
) -> std::io::Result<()> {
    let Some(req) = read_request(&mut conn).await? else {
        return Ok(());
    };
    st.requests.fetch_add(1, Ordering::SeqCst);
    let roll = next(rng);
    let mut edge = f.http_500;
    if roll < edge {
        st.http_500.fetch_add(1, Ordering::SeqCst);
        conn.write_all(&error_response(&req, 500, false)).await?;
        return conn.shutdown().await;
    }
    edge += f.throttle;
    if roll < edge {
        st.throttled.fetch_add(1, Ordering::SeqCst);
        let head = String::from_utf8_lossy(&req[..req.len().min(4096)]).to_ascii_lowercase();
        // S3 throttles with 503 SlowDown; the others with 400 + a throttling code.
        let status = if head.contains("x-amz-target:")
            || head.contains("application/x-www-form-urlencoded")
            || head.contains(" /2013-04-01/")
        {
            400
        } else {
            503
        };
        conn.write_all(&error_response(&req, status, true)).await?;
        return conn.shutdown().await;
    }
    edge += f.drop_before;
    if roll < edge {
        st.dropped_before.fetch_add(1, Ordering::SeqCst);
        return Ok(()); // dropped: the request never reaches moto
    }
    let drop_after = roll < edge + f.drop_after;
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(&with_close(&req)).await?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).await?;
    st.forwarded.fetch_add(1, Ordering::SeqCst);
    if drop_after {
        st.dropped_after.fetch_add(1, Ordering::SeqCst);
        return Ok(()); // moto did it; the client never hears
    }
    conn.write_all(&with_close(&resp)).await?;
    conn.shutdown().await
}
