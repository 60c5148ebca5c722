//! A fault-injecting HTTP proxy for the sync tests: it sits between a terminal and the central on
//! loopback and, request by request, drops the request, forwards it but drops the answer (the
//! central applied it, the terminal never hears), sends it twice, delays it, or cuts the answer
//! body halfway. One request per connection (`Connection: close`), and `Accept-Encoding` removed
//! so that answers carry a Content-Length the proxy can cut.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

/// What the proxy does to one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Pass,
    DropRequest,
    DropAnswer,
    Duplicate,
    Delay,
    CutAnswer,
}

pub struct FaultyProxy {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    pub faults: Arc<AtomicU64>,
}

impl FaultyProxy {
    /// Proxies to `upstream`; `fault_percent` of the requests get a fault, chosen from `seed`.
    pub fn start(upstream: SocketAddr, fault_percent: u64, seed: u64) -> FaultyProxy {
        FaultyProxy::balancing(&[upstream], fault_percent, seed)
    }

    /// A load balancer in front of several central instances: request `n` goes to instance
    /// `n % len`, so a terminal's retry reaches another instance than its first try, and a
    /// duplicated request is sent again to the next instance.
    pub fn balancing(upstreams: &[SocketAddr], fault_percent: u64, seed: u64) -> FaultyProxy {
        let mut state = seed | 1;
        FaultyProxy::with_faults(upstreams, move |_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state % 100 < fault_percent {
                match (state >> 8) % 5 {
                    0 => Fault::DropRequest,
                    1 => Fault::DropAnswer,
                    2 => Fault::Duplicate,
                    3 => Fault::Delay,
                    _ => Fault::CutAnswer,
                }
            } else {
                Fault::Pass
            }
        })
    }

    /// Forwards the first `passed` requests and drops every later one unanswered: a network
    /// that goes away at a known point of a sync round.
    pub fn drop_after(upstream: SocketAddr, passed: u64) -> FaultyProxy {
        FaultyProxy::with_faults(&[upstream], move |n| {
            if n < passed {
                Fault::Pass
            } else {
                Fault::DropRequest
            }
        })
    }

    /// Proxies to `upstreams` in turn, doing `fault_of(n)` to the `n`th request (from 0).
    fn with_faults(
        upstreams: &[SocketAddr],
        mut fault_of: impl FnMut(u64) -> Fault + Send + 'static,
    ) -> FaultyProxy {
        let upstreams = upstreams.to_vec();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let faults = Arc::new(AtomicU64::new(0));
        let (stopping, counting) = (Arc::clone(&stop), Arc::clone(&faults));
        thread::spawn(move || {
            let mut requests = 0;
            while !stopping.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let fault = fault_of(requests);
                        let n = requests as usize;
                        let (upstream, next) = (
                            upstreams[n % upstreams.len()],
                            upstreams[(n + 1) % upstreams.len()],
                        );
                        requests += 1;
                        if fault != Fault::Pass {
                            counting.fetch_add(1, Ordering::SeqCst);
                        }
                        thread::spawn(move || {
                            let _ = handle(client, upstream, next, fault);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FaultyProxy { addr, stop, faults }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads one HTTP/1.1 message (head + Content-Length body) from `stream`.
fn read_message(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut data = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(pos) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::other("closed before the end of the head"));
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::Error::other("closed before the end of the body"));
        }
        data.extend_from_slice(&buf[..n]);
    }
    Ok(data)
}

/// The request with `Connection: close` and without `Accept-Encoding`.
fn rewrite(request: &[u8]) -> Vec<u8> {
    let head_end = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(request.len(), |p| p + 4);
    let head = String::from_utf8_lossy(&request[..head_end]);
    let mut out = String::new();
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        let lower = line.to_lowercase();
        if lower.starts_with("accept-encoding:") || lower.starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&request[head_end..]);
    bytes
}

fn forward(request: &[u8], upstream: SocketAddr) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(request)?;
    read_message(&mut server)
}

/// `next` is where a duplicate goes: the same instance behind one proxy, the next one behind a
/// balancer.
fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    next: SocketAddr,
    fault: Fault,
) -> std::io::Result<()> {
    let request = rewrite(&read_message(&mut client)?);
    match fault {
        Fault::DropRequest => {}
        Fault::DropAnswer => {
            forward(&request, upstream)?;
        }
        Fault::Duplicate => {
            forward(&request, upstream)?;
            client.write_all(&forward(&request, next)?)?;
        }
        Fault::Delay => {
            thread::sleep(Duration::from_millis(150));
            client.write_all(&forward(&request, upstream)?)?;
        }
        Fault::CutAnswer => {
            let answer = forward(&request, upstream)?;
            client.write_all(&answer[..answer.len() * 2 / 3])?;
        }
        Fault::Pass => client.write_all(&forward(&request, upstream)?)?,
    }
    let _ = client.shutdown(Shutdown::Both);
    Ok(())
}
