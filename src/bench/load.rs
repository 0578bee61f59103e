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
    let rx = Arc::new(Mutex::new(rx));
    let lat = Arc::new(Mutex::new(Vec::<f64>::with_capacity(total as usize)));
    let counts = Arc::new(Mutex::new((0u64, 0u64, 0u64))); // ok, errors, unfinished
    let mut workers = Vec::new();
    for _ in 0..connections {
        let (rx, lat, counts) = (rx.clone(), lat.clone(), counts.clone());
        let (path, extra) = (path.to_string(), extra.to_string());
        workers.push(tokio::spawn(async move {
            let mut conn: Option<Conn> = None;
            loop {
                let next = rx.lock().await.recv().await;
                let Some(scheduled) = next else { break };
                if Instant::now() >= end {
                    counts.lock().await.2 += 1;
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
                match answer {
                    Ok(Ok(r)) => {
                        if r.close {
                            conn = None;
                        }
                        if (200..300).contains(&r.status) {
                            lat.lock()
                                .await
                                .push(scheduled.elapsed().as_secs_f64() * 1000.0);
                            counts.lock().await.0 += 1;
                        } else {
                            counts.lock().await.1 += 1;
                        }
                    }
                    Ok(Err(_)) => {
                        conn = None;
                        counts.lock().await.1 += 1;
                    }
                    Err(_) => {
                        conn = None;
                        counts.lock().await.2 += 1;
                    }
                }
            }
        }));
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
    let mut lat = std::mem::take(&mut *lat.lock().await);
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| -> Option<f64> {
        if lat.is_empty() {
            return None;
        }
        let i = ((p * lat.len() as f64).ceil() as usize).clamp(1, lat.len()) - 1;
        Some(lat[i])
    };
    let (ok, errors, unfinished) = *counts.lock().await;
    LoadRun {
        path: path.to_string(),
        rate,
        seconds: duration.as_secs_f64(),
        scheduled: total,
        ok,
        errors,
        unfinished,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: lat.last().copied(),
        achieved: ok as f64 / t0.elapsed().as_secs_f64().max(1e-9),
    }
}
