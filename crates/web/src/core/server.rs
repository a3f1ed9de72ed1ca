//! The HTTP server loop: HTTP/1.1 through hyper with a header-read timeout (a client that
//! never finishes its headers is dropped) and an idle timeout on request bodies, the
//! client's address handed to the application (sign-in throttling).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use tokio::net::TcpListener;

/// A request's headers must arrive within this delay.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A request body may pause at most this long between two chunks.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_mins(1);

/// How long a client may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// For the whole request line and headers.
    pub header_read: Duration,
    /// Between two chunks of a request body.
    pub body_idle: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(
        listener,
        app,
        shutdown,
        Timeouts {
            header_read: HEADER_READ_TIMEOUT,
            body_idle: BODY_IDLE_TIMEOUT,
        },
    )
    .await
}

/// Serves `app` with the given timeouts.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
    timeouts: Timeouts,
) -> std::io::Result<()> {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, a reset before accept: wait a little.
                    tracing::warn!(error = %e, "không nhận được kết nối");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let mut req = req.map(|body| {
                    axum::body::Body::new(tower_http::timeout::TimeoutBody::new(
                        timeouts.body_idle,
                        body,
                    ))
                });
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                tower::ServiceExt::oneshot(app.clone(), req)
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(timeouts.header_read)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .with_upgrades();
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "kết nối kết thúc");
            }
        });
    }
}
