//! A small open-loop HTTP/1.1 load generator on tokio: requests are scheduled at a fixed rate
//! whatever the server does, sent over a pool of keep-alive connections, and each latency is
//! measured from the request's scheduled instant (so a server that falls behind shows its
//! queueing delay instead of hiding it). Loopback only; no TLS, no redirects.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A response's status and body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The server will close the connection after this response.
    pub close: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One keep-alive connection.
pub struct Conn {
    io: BufReader<TcpStream>,
}

impl Conn {
    /// # Errors
    /// When the connection fails.
    pub async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(Conn {
            io: BufReader::new(s),
        })
    }

    /// Sends `GET path` with the extra header lines (each ending in `\r\n`) and reads the
    /// whole response.
    ///
    /// # Errors
    /// I/O errors and malformed responses.
    pub async fn get(&mut self, path: &str, extra: &str) -> std::io::Result<Response> {
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n");
        self.io.get_mut().write_all(req.as_bytes()).await?;
        let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
        let mut line = String::new();
        if self.io.read_line(&mut line).await? == 0 {
            return Err(bad("connection closed"));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("bad status line"))?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            if self.io.read_line(&mut line).await? == 0 {
                return Err(bad("connection closed in headers"));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut resp = Response {
            status,
            headers,
            body: Vec::new(),
            close: false,
        };
        resp.close = resp
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if resp
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
        {
            loop {
                line.clear();
                self.io.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| bad("bad chunk size"))?;
                let mut chunk = vec![0; size + 2];
                self.io.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                resp.body.extend_from_slice(&chunk[..size]);
            }
        } else if let Some(n) = resp.header("content-length") {
            let n: usize = n.parse().map_err(|_| bad("bad content-length"))?;
            resp.body = vec![0; n];
            self.io.read_exact(&mut resp.body).await?;
        } else if status != 204 && status != 304 {
            self.io.read_to_end(&mut resp.body).await?;
            resp.close = true;
        }
        Ok(resp)
    }
}

/// One GET on a fresh connection.
///
/// # Errors
/// I/O errors.
pub async fn get_once(addr: SocketAddr, path: &str, extra: &str) -> std::io::Result<Response> {
    Conn::open(addr).await?.get(path, extra).await
}

/// How an open-loop run went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadRun {
    pub path: String,
    pub rate: f64,
    pub seconds: f64,
    /// Requests scheduled.
    pub scheduled: u64,
    /// Answered with a 2xx status.
    pub ok: u64,
    /// Answered otherwise, or failed (connection error, timeout).
    pub errors: u64,
    /// Never sent or never answered before the run's end plus the grace period.
    pub unfinished: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Successful answers per second over the run.
    pub achieved: f64,
}

/// What the workers of an open-loop run counted.
#[derive(Default)]
struct Tally {
    /// Latencies of the 2xx answers, in ms from the scheduled instant.
    latencies: Vec<f64>,
    ok: u64,
    errors: u64,
    unfinished: u64,
}

type Schedule = Arc<Mutex<tokio::sync::mpsc::UnboundedReceiver<Instant>>>;

/// Sends `GET path` at `rate` per second for `duration` over `connections` connections, and
/// waits `grace` for the last answers.
pub async fn open_loop(
    addr: SocketAddr,
    path: &str,
    extra: &str,
    rate: f64,
    duration: Duration,
    connections: usize,
    grace: Duration,
) -> LoadRun {
    let total = (rate * duration.as_secs_f64()).round() as u64;
    let t0 = Instant::now();
    let end = t0 + duration + grace;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let rx: Schedule = Arc::new(Mutex::new(rx));
    let tally = Arc::new(Mutex::new(Tally {
        latencies: Vec::with_capacity(total as usize),
        ..Tally::default()
    }));
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (rx, tally) = (rx.clone(), tally.clone());
        let (path, extra) = (path.to_string(), extra.to_string());
        workers.push(tokio::spawn(worker(addr, path, extra, end, rx, tally)));
    }
    for i in 0..total {
        let at = t0 + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(at).await;
        if tx.send(at).is_err() {
            break;
        }
    }
    drop(tx);
    for w in workers {
        let _ = w.await;
    }
    let mut t = std::mem::take(&mut *tally.lock().await);
    t.latencies.sort_by(|a, b| a.total_cmp(b));
    LoadRun {
        path: path.to_string(),
        rate,
        seconds: duration.as_secs_f64(),
        scheduled: total,
        ok: t.ok,
        errors: t.errors,
        unfinished: t.unfinished,
        p50_ms: percentile(&t.latencies, 0.50),
        p99_ms: percentile(&t.latencies, 0.99),
        max_ms: t.latencies.last().copied(),
        achieved: t.ok as f64 / t0.elapsed().as_secs_f64().max(1e-9),
    }
}

/// One connection of an open-loop run: takes the next scheduled request, sends it (opening the
/// connection again after an error or a close) and counts its answer; a request whose answer
/// does not come before `end` is unfinished.
async fn worker(
    addr: SocketAddr,
    path: String,
    extra: String,
    end: Instant,
    rx: Schedule,
    tally: Arc<Mutex<Tally>>,
) {
    let mut conn: Option<Conn> = None;
    loop {
        let next = rx.lock().await.recv().await;
        let Some(scheduled) = next else { break };
        if Instant::now() >= end {
            tally.lock().await.unfinished += 1;
            continue;
        }
        let answer = tokio::time::timeout_at(end, async {
            if conn.is_none() {
                conn = Some(Conn::open(addr).await?);
            }
            match conn.as_mut() {
                Some(c) => c.get(&path, &extra).await,
                None => Err(std::io::Error::other("no connection")),
            }
        })
        .await;
        let mut t = tally.lock().await;
        match answer {
            Ok(Ok(r)) => {
                if r.close {
                    conn = None;
                }
                if (200..300).contains(&r.status) {
                    t.latencies.push(scheduled.elapsed().as_secs_f64() * 1000.0);
                    t.ok += 1;
                } else {
                    t.errors += 1;
                }
            }
            Ok(Err(_)) => {
                conn = None;
                t.errors += 1;
            }
            Err(_) => {
                conn = None;
                t.unfinished += 1;
            }
        }
    }
}

/// The `p` quantile (nearest rank) of `sorted`; `None` when it is empty.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(sorted[i])
}
