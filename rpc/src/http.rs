//! The HTTP side of the RPC server (Core's `httpserver.cpp` and `HTTPReq_JSONRPC`), on hyper
//! 1.x and a tokio runtime of its own: body limit (413), `-rpcallowip` (403), paths (`/` and
//! `/wallet/<name>`, else 404), POST only (405), Basic authentication (401, after 250 ms
//! when the credentials are wrong), a bounded work queue (503), and the dispatcher's reply.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method as HttpMethod, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::sync::{watch, Semaphore};

use crate::auth::Credentials;
use crate::config::AllowList;
use crate::dispatch::{Caller, Dispatcher, Reply};

/// The largest request body accepted (Core's `MAX_BODY_SIZE`, 32 MiB).
pub const MAX_BODY_SIZE: usize = 32 << 20;

/// How long a client with wrong credentials waits for its 401 (Core's deterrent).
pub const WRONG_AUTH_DELAY: Duration = Duration::from_millis(250);

/// How long shutdown waits for requests in progress.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Everything a request needs.
pub struct HttpState {
    /// Executes the JSON-RPC.
    pub dispatcher: Arc<Dispatcher>,
    /// Accepted users.
    pub credentials: Credentials,
    /// Accepted client addresses.
    pub allow: AllowList,
    /// Handlers running at once (`-rpcthreads`).
    pub threads: usize,
    /// Requests that may wait for a handler (`-rpcworkqueue`).
    pub work_queue: usize,
    /// Time allowed to send a request's headers (`-rpcservertimeout`).
    pub timeout: Duration,
}

struct Shared {
    state: HttpState,
    running: Semaphore,
    queued: AtomicUsize,
}

type Body = Full<Bytes>;

fn empty(status: u16) -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status != 204 {
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=ISO-8859-1"),
        );
    }
    response
}

fn text(status: u16, message: &'static str) -> Response<Body> {
    let mut response = empty(status);
    *response.body_mut() = Body::new(Bytes::from_static(message.as_bytes()));
    response
}

fn closing(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

fn unauthorized() -> Response<Body> {
    let mut response = empty(401);
    response.headers_mut().insert(
        hyper::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"jsonrpc\""),
    );
    response
}

fn json(reply: Reply) -> Response<Body> {
    match reply.body {
        None => empty(reply.status),
        Some(value) => {
            let mut response = empty(reply.status);
            *response.body_mut() = Body::new(Bytes::from(value.to_string() + "\n"));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
    }
}

/// Reads the body, at most [`MAX_BODY_SIZE`]; `Err` is the response to send instead.
async fn read_body(
    request: Request<Incoming>,
) -> Result<(String, HttpMethod, Bytes, Option<String>), Response<Body>> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_SIZE as u64) {
        return Err(closing(empty(413)));
    }
    let (parts, body) = request.into_parts();
    let uri = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.to_string(), |p| p.as_str().to_string());
    let auth = parts
        .headers
        .get(AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    match Limited::new(body, MAX_BODY_SIZE).collect().await {
        Ok(collected) => Ok((uri, parts.method, collected.to_bytes(), auth)),
        Err(e) if e.is::<LengthLimitError>() => Err(closing(empty(413))),
        Err(_) => Err(closing(empty(400))),
    }
}

async fn handle(
    request: Request<Incoming>,
    peer: SocketAddr,
    shared: Arc<Shared>,
) -> Response<Body> {
    let state = &shared.state;
    let (uri, method, body, auth) = match read_body(request).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    tracing::debug!(target: "http", "Received a {method} request for {uri} from {peer}");
    if !state.allow.allows(peer.ip()) {
        tracing::debug!(target: "http", "HTTP request from {peer} rejected: Client network is not allowed RPC access");
        return empty(403);
    }
    if ![
        HttpMethod::GET,
        HttpMethod::POST,
        HttpMethod::HEAD,
        HttpMethod::PUT,
    ]
    .contains(&method)
    {
        return empty(405);
    }
    if uri != "/" && !uri.starts_with("/wallet/") {
        return empty(404);
    }
    if method != HttpMethod::POST {
        return text(405, "JSONRPC server handles only POST requests");
    }
    let Some(auth) = auth else {
        return unauthorized();
    };
    let user = match state.credentials.check(&auth) {
        Ok(user) => user,
        Err(_) => {
            tracing::warn!("ThreadRPCServer incorrect password attempt from {peer}");
            tokio::time::sleep(WRONG_AUTH_DELAY).await;
            return unauthorized();
        }
    };
    if shared.queued.fetch_add(1, Ordering::SeqCst) >= state.work_queue {
        shared.queued.fetch_sub(1, Ordering::SeqCst);
        tracing::warn!("Request rejected because http work queue depth exceeded, it can be increased with the -rpcworkqueue= setting");
        return text(503, "Work queue depth exceeded");
    }
    let permit = shared.running.acquire().await;
    shared.queued.fetch_sub(1, Ordering::SeqCst);
    let Ok(_permit) = permit else {
        return text(503, "Request rejected during server shutdown");
    };
    let dispatcher = state.dispatcher.clone();
    let work = move || {
        dispatcher.execute_body(
            &body,
            Caller {
                uri: &uri,
                user: &user,
            },
        )
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(reply) => json(reply),
        Err(e) => {
            tracing::warn!("Unexpected error while processing request: {e}");
            closing(text(500, "internal error"))
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    graceful: Arc<GracefulShutdown>,
    mut stop: watch::Receiver<bool>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(shared.state.timeout);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(target: "http", "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let shared = shared.clone();
        let service = hyper::service::service_fn(move |request| {
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(handle(request, peer, shared).await) }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(target: "http", "connection from {peer}: {e}");
            }
        });
    }
}

/// A running HTTP server; dropping it stops accepting, lets requests in progress finish
/// (up to 10 s) and ends its threads.
pub struct HttpServer {
    runtime: Option<tokio::runtime::Runtime>,
    stop: watch::Sender<bool>,
    serving: Option<tokio::task::JoinHandle<()>>,
}

impl HttpServer {
    /// Serves on `listeners` (bound, not yet non-blocking) with a runtime of two worker
    /// threads named `rpc-http`.
    pub fn start(
        listeners: Vec<std::net::TcpListener>,
        state: HttpState,
    ) -> std::io::Result<HttpServer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(state.threads)
            .thread_name("rpc-http")
            .enable_all()
            .build()?;
        let shared = Arc::new(Shared {
            running: Semaphore::new(state.threads),
            queued: AtomicUsize::new(0),
            state,
        });
        let (stop, stopped) = watch::channel(false);
        let mut tokio_listeners = Vec::new();
        {
            let _context = runtime.enter();
            for listener in listeners {
                listener.set_nonblocking(true)?;
                tokio_listeners.push(tokio::net::TcpListener::from_std(listener)?);
            }
        }
        let serving = runtime.spawn(async move {
            let graceful = Arc::new(GracefulShutdown::new());
            let mut accepts = tokio::task::JoinSet::new();
            for listener in tokio_listeners {
                accepts.spawn(accept_loop(
                    listener,
                    shared.clone(),
                    graceful.clone(),
                    stopped.clone(),
                ));
            }
            while accepts.join_next().await.is_some() {}
            if let Ok(graceful) = Arc::try_unwrap(graceful) {
                if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
                    .await
                    .is_err()
                {
                    tracing::warn!("RPC requests still running at shutdown");
                }
            }
            shared.running.close();
        });
        Ok(HttpServer {
            runtime: Some(runtime),
            stop,
            serving: Some(serving),
        })
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        tracing::debug!(target: "rpc", "Stopping HTTP RPC server");
        let _ = self.stop.send(true);
        if let (Some(runtime), Some(serving)) = (self.runtime.take(), self.serving.take()) {
            let _ = runtime.block_on(async { tokio::time::timeout(SHUTDOWN_GRACE, serving).await });
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}
