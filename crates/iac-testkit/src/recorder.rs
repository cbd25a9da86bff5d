//! An HTTP server on `127.0.0.1:<free port>` (hyper, on a thread and runtime
//! of its own, so it works from sync and async tests alike) that answers
//! every request with a fixed status and records it (method, path, headers,
//! body), for tests of code that pushes data out: metrics to a Pushgateway,
//! spans to an OTLP collector. It stops when dropped, or by itself after 30
//! minutes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The path with its query, as sent.
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct Recorder {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Recorder {
    /// Starts a recorder answering every request with `status` (e.g. 200).
    pub fn start(status: u16) -> Recorder {
        let status = hyper::StatusCode::from_u16(status).expect("an HTTP status code");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let serve = async {
                    while let Ok((stream, _)) = listener.accept().await {
                        let recorded = recorded.clone();
                        tokio::spawn(async move {
                            let svc = service_fn(move |req| record(req, status, recorded.clone()));
                            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                        });
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                    _ = tokio::time::sleep(Duration::from_secs(1800)) => {}
                }
            });
        });
        Recorder { addr, requests, stop: Some(stop) }
    }

    /// "http://127.0.0.1:PORT"
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far, in the order they were read in full.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn record(
    req: hyper::Request<Incoming>,
    status: hyper::StatusCode,
    into: Arc<Mutex<Vec<Request>>>,
) -> Result<hyper::Response<Empty<Bytes>>, hyper::Error> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let headers = req.headers().iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
    let body = req.into_body().collect().await?.to_bytes().to_vec();
    // Recorded before the answer, so a client that got its answer finds its request here.
    into.lock().unwrap_or_else(|p| p.into_inner()).push(Request { method, path, headers, body });
    let mut resp = hyper::Response::new(Empty::new());
    *resp.status_mut() = status;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::Recorder;
    use std::io::{Read, Write};

    #[test]
    fn records_each_request_and_answers_with_the_status() {
        let rec = Recorder::start(202);
        let mut conn = std::net::TcpStream::connect(rec.url().trim_start_matches("http://")).expect("connect");
        conn.write_all(b"PUT /metrics/job/x?a=1 HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
            .expect("send");
        let mut answer = String::new();
        conn.read_to_string(&mut answer).expect("answer");
        assert!(answer.starts_with("HTTP/1.1 202 "), "{answer}");
        let reqs = rec.requests();
        assert_eq!(reqs.len(), 1);
        assert_eq!((reqs[0].method.as_str(), reqs[0].path.as_str(), reqs[0].body_text().as_str()), ("PUT", "/metrics/job/x?a=1", "hello"));
        assert_eq!(reqs[0].header("Content-Type"), Some("text/plain"));
    }
}
