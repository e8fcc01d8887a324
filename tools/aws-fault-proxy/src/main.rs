//! aws-fault-proxy: test tooling that sits between the operator and moto (through
//! AWS_ENDPOINT_URL), counts every AWS call by operation, and injects seeded faults:
//! AWS's own throttling (the documented token buckets, per account, region and action
//! group), 5xx answers, latency, connection resets, and answers dropped after the call
//! reached the upstream. Listens on loopback only.
//!
//! Control endpoints (never forwarded):
//! - `GET /__proxy/stats`: counters as JSON, with the quota table enforced;
//! - `POST /__proxy/reset`: zero the counters and forget scripted faults;
//! - `PUT /__proxy/faults`: replace the random faults, e.g. `{"error_rate":0.05}`, or
//!   `{"throttle_rate":0.3,"error_rate":0.3,"regions":["us-west-2"]}` for one region;
//! - `POST /__proxy/script`: add scripted faults, e.g.
//!   `[{"operation":"CreateService","nth":2,"fault":"drop"}]`.

#![forbid(unsafe_code)]

mod faults;
mod operation;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use clap::Parser;
use ecs_operator::aws::quota::{QuotaOverride, Quotas};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use faults::{Fault, Injector, RandomFaults, ScriptedFault};

#[derive(Parser, Debug)]
#[command(
    name = "aws-fault-proxy",
    about = "Counts AWS calls and injects faults (test tooling)"
)]
struct Args {
    /// Loopback address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Where requests go, e.g. http://127.0.0.1:5000 (moto).
    #[arg(long)]
    upstream: String,
    /// Written with the bound port once listening.
    #[arg(long)]
    port_file: Option<PathBuf>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Throttle as AWS does, with the documented token buckets.
    #[arg(long)]
    enforce_quotas: bool,
    /// Bucket overrides for --enforce-quotas, GROUP=BURST:PER_SECOND.
    #[arg(long = "quota", value_delimiter = ',')]
    quotas: Vec<QuotaOverride>,
    /// Share of requests answered with HTTP 500.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of requests whose connection is reset unanswered.
    #[arg(long, default_value_t = 0.0)]
    reset_rate: f64,
    /// Share of requests forwarded whose answer is then withheld.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Up to this much latency added to each request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// How long a dropped answer is withheld before the connection closes; longer than
    /// the client's read timeout makes the client time out.
    #[arg(long, default_value = "10", value_parser = |s: &str| s.parse::<u64>().map(Duration::from_secs))]
    drop_hold_seconds: Duration,
    /// Scripted faults, OPERATION#N=FAULT (throttle, error, reset or drop).
    #[arg(long = "fail", value_delimiter = ',')]
    script: Vec<ScriptedFault>,
}

struct Proxy {
    upstream: String,
    client: Client<HttpConnector, Full<Bytes>>,
    injector: Mutex<Injector>,
    drop_hold: Duration,
}

type Reply = Response<Full<Bytes>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.listen.ip().is_loopback() {
        bail!("--listen must be a loopback address, not {}", args.listen);
    }
    let quotas = args
        .enforce_quotas
        .then(|| Quotas::default().with_overrides(&args.quotas));
    let random = RandomFaults {
        error_rate: args.error_rate,
        reset_rate: args.reset_rate,
        drop_rate: args.drop_rate,
        latency_ms: args.latency_ms,
        ..Default::default()
    };
    let mut injector = Injector::new(args.seed, random, quotas);
    injector.add_script(args.script);
    let proxy = Arc::new(Proxy {
        upstream: args.upstream.trim_end_matches('/').to_string(),
        client: Client::builder(TokioExecutor::new()).build_http(),
        injector: Mutex::new(injector),
        drop_hold: args.drop_hold_seconds,
    });
    let listener = TcpListener::bind(args.listen).await.context("binding")?;
    let port = listener.local_addr()?.port();
    if let Some(path) = &args.port_file {
        std::fs::write(path, port.to_string()).context("writing --port-file")?;
    }
    eprintln!(
        "aws-fault-proxy listening on 127.0.0.1:{port}, forwarding to {}",
        proxy.upstream
    );
    loop {
        let (stream, _) = listener.accept().await?;
        // Closing with SO_LINGER 0 sends a reset, which is what an injected reset should be.
        stream.set_zero_linger()?;
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let proxy = proxy.clone();
                async move { proxy.handle(request).await }
            });
            // A reset or drop ends the connection with an error on purpose.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Why the proxy ended a connection without answering.
#[derive(Debug, thiserror::Error)]
enum Unanswered {
    #[error("injected connection reset")]
    Reset,
    #[error("injected dropped answer")]
    Dropped,
}

impl Proxy {
    async fn handle(&self, request: Request<Incoming>) -> Result<Reply, Unanswered> {
        if request.uri().path().starts_with("/__proxy/") {
            return Ok(self.control(request).await);
        }
        let operation = operation::operation(
            header(&request, "x-amz-target").as_deref(),
            request.method(),
            request.uri().path(),
        );
        let (account, region) = credential_scope(header(&request, "authorization").as_deref());
        let decision = self
            .injector
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .decide(&operation, &account, &region, Instant::now());
        if !decision.delay.is_zero() {
            tokio::time::sleep(decision.delay).await;
        }
        match decision.fault {
            Some(Fault::Throttle) => Ok(aws_error(
                StatusCode::BAD_REQUEST,
                "ThrottlingException",
                "Rate exceeded",
            )),
            Some(Fault::Error) => Ok(aws_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServerException",
                "injected server error",
            )),
            Some(Fault::Reset) => Err(Unanswered::Reset),
            Some(Fault::Drop) => {
                let _ = self.forward(request).await;
                tokio::time::sleep(self.drop_hold).await;
                Err(Unanswered::Dropped)
            }
            None => Ok(self.forward(request).await),
        }
    }

    async fn forward(&self, request: Request<Incoming>) -> Reply {
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(body) => body.to_bytes(),
            Err(e) => return plain(StatusCode::BAD_REQUEST, format!("reading the request: {e}")),
        };
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut upstream = Request::builder()
            .method(parts.method)
            .uri(format!("{}{path}", self.upstream));
        for (name, value) in &parts.headers {
            upstream = upstream.header(name, value);
        }
        let Ok(upstream) = upstream.body(Full::new(body)) else {
            return plain(StatusCode::BAD_REQUEST, "unforwardable request".to_string());
        };
        match self.client.request(upstream).await {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                match body.collect().await {
                    Ok(body) => Response::from_parts(parts, Full::new(body.to_bytes())),
                    Err(e) => plain(StatusCode::BAD_GATEWAY, format!("reading upstream: {e}")),
                }
            }
            Err(e) => plain(
                StatusCode::BAD_GATEWAY,
                format!("upstream unreachable: {e}"),
            ),
        }
    }

    async fn control(&self, request: Request<Incoming>) -> Reply {
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let body = match request.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(e) => return plain(StatusCode::BAD_REQUEST, e.to_string()),
        };
        let mut injector = self
            .injector
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match (method, path.as_str()) {
            (Method::GET, "/__proxy/stats") => json(&StatsReply {
                stats: &injector.stats,
                quotas: injector.quota_table(),
            }),
            (Method::POST, "/__proxy/reset") => {
                injector.reset_stats();
                plain(StatusCode::OK, "reset\n".to_string())
            }
            (Method::PUT, "/__proxy/faults") => match serde_json::from_slice::<RandomFaults>(&body)
            {
                Ok(random) => {
                    injector.set_random(random);
                    plain(StatusCode::OK, "faults set\n".to_string())
                }
                Err(e) => plain(StatusCode::BAD_REQUEST, format!("faults: {e}\n")),
            },
            (Method::POST, "/__proxy/script") => {
                match serde_json::from_slice::<Vec<ScriptedFault>>(&body) {
                    Ok(script) => {
                        injector.add_script(script);
                        plain(StatusCode::OK, "script added\n".to_string())
                    }
                    Err(e) => plain(StatusCode::BAD_REQUEST, format!("script: {e}\n")),
                }
            }
            _ => plain(
                StatusCode::NOT_FOUND,
                format!("no control endpoint {path}\n"),
            ),
        }
    }
}

fn header(request: &Request<Incoming>, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The access key and region of a SigV4 `Authorization` header: AWS throttles per
/// account and region.
fn credential_scope(authorization: Option<&str>) -> (String, String) {
    let scope = authorization
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split([',', ' ']).next())
        .unwrap_or_default();
    let mut parts = scope.split('/');
    let account = parts.next().unwrap_or_default().to_string();
    let region = parts.nth(1).unwrap_or_default().to_string();
    (account, region)
}

/// An error in the AWS JSON protocol's shape, which the SDK classifies by `__type`.
fn aws_error(status: StatusCode, code: &str, message: &str) -> Reply {
    let body = serde_json::json!({ "__type": code, "message": message }).to_string();
    reply(
        status,
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amzn-errortype", code),
            ("x-amzn-requestid", "aws-fault-proxy"),
        ],
        body.into(),
    )
}

/// A response; a header whose value is not valid in HTTP is left out.
fn reply(status: StatusCode, headers: &[(&'static str, &str)], body: Bytes) -> Reply {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    for (name, value) in headers {
        if let Ok(value) = hyper::header::HeaderValue::from_str(value) {
            response
                .headers_mut()
                .insert(hyper::header::HeaderName::from_static(name), value);
        }
    }
    response
}

/// The counters, and the buckets they were held to (null when quotas are not enforced).
#[derive(serde::Serialize)]
struct StatsReply<'a> {
    #[serde(flatten)]
    stats: &'a faults::Stats,
    quotas: Option<std::collections::BTreeMap<&'static str, ecs_operator::aws::quota::Quota>>,
}

fn json<T: serde::Serialize>(value: &T) -> Reply {
    let body = serde_json::to_vec_pretty(value).unwrap_or_default();
    reply(
        StatusCode::OK,
        &[("content-type", "application/json")],
        body.into(),
    )
}

fn plain(status: StatusCode, text: String) -> Reply {
    reply(status, &[], text.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_scoped_by_the_signing_key_and_region() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/eu-west-1/ecs/aws4_request, SignedHeaders=host, Signature=abc";
        assert_eq!(
            credential_scope(Some(header)),
            ("AKIDEXAMPLE".to_string(), "eu-west-1".to_string())
        );
        assert_eq!(credential_scope(None), (String::new(), String::new()));
    }
}
