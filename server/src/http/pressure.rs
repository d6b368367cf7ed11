//! The web tier under pressure: how much work one node takes on at once, and how long a
//! request may hold it.
//!
//! - **Requests in flight** are capped (`limits.max_in_flight`): beyond it a request is
//!   answered `503` with `Retry-After` at once instead of queueing until memory runs out.
//!   A load balancer sends the retry to a node with room. `/health` and `/metrics` are never
//!   shed: a probe failing under load would take a busy node out and pile its load on the rest.
//! - **Memory in request bodies** is budgeted (`limits.body_memory_mib`): a request that will
//!   send a body reserves its declared length (or the largest upload, when it does not say)
//!   before it is read, so many large uploads at once are turned away rather than buffered.
//! - **Slow bodies** are cut off, the way Apache's `mod_reqtimeout` does it: a body has
//!   `limits.body_grace_secs` to arrive, extended by one second for every
//!   `limits.body_min_rate` bytes received. A client sending a byte every two seconds holds a
//!   connection for the grace period, not for ever. The answer is `408` and the connection
//!   is closed.
//! - **A request's time** until its answer begins is capped (`limits.request_timeout_secs`):
//!   `408` if its body was still arriving, else `503`. Streams (progress, downloads) are not
//!   cut by it once they have begun; progress streams have their own caps (`streams`).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use app::error::AppError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame};
use tokio::sync::Semaphore;
use tokio::time::Sleep;

use super::error::HttpError;

/// Paths that are answered however busy the node is.
const NEVER_SHED: [&str; 2] = ["/health", "/metrics"];

/// A body shorter than this is not worth reserving memory for (a form, a JSON request).
const SMALL_BODY: u64 = 64 * 1024;

/// What one node takes on at once, and how long it gives a request.
pub struct Pressure {
    in_flight: Arc<Semaphore>,
    /// In KiB.
    body_memory: Arc<Semaphore>,
    body_memory_kib: u32,
    max_body_bytes: u64,
    body_grace: Duration,
    body_min_rate: u32,
    request_timeout: Duration,
}

/// The settings [`Pressure`] is made from (`limits.*`).
#[derive(Clone, Copy, Debug)]
pub struct PressureSettings {
    pub max_in_flight: u32,
    pub body_memory_mib: u32,
    pub max_body_bytes: usize,
    pub body_grace_secs: u64,
    pub body_min_rate: u32,
    pub request_timeout_secs: u64,
}

impl Pressure {
    pub fn new(settings: PressureSettings) -> Self {
        let body_memory_kib = settings.body_memory_mib.saturating_mul(1024);
        Self {
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight as usize)),
            body_memory: Arc::new(Semaphore::new(body_memory_kib as usize)),
            body_memory_kib,
            max_body_bytes: settings.max_body_bytes as u64,
            body_grace: Duration::from_secs(settings.body_grace_secs),
            body_min_rate: settings.body_min_rate.max(1),
            request_timeout: Duration::from_secs(settings.request_timeout_secs),
        }
    }

    /// The body memory a request reserves, in KiB: none for a small or absent body.
    fn body_reservation(&self, request: &Request) -> u32 {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let expects_body = !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::DELETE
        );
        let bytes = match declared {
            Some(length) => length,
            // Chunked: it may be as large as the largest body accepted.
            None if expects_body => self.max_body_bytes,
            None => 0,
        };
        if bytes < SMALL_BODY {
            return 0;
        }
        // A body longer than accepted is refused (413) as soon as it passes the limit.
        let kib = bytes.min(self.max_body_bytes).div_ceil(1024);
        u32::try_from(kib)
            .unwrap_or(u32::MAX)
            .min(self.body_memory_kib)
    }
}

/// `503` with `Retry-After: 1`: this node is full; another (or this one in a moment) has room.
fn busy(message: &str) -> Response {
    let mut response = HttpError(AppError::Unavailable(message.to_owned())).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// `408`, closing the connection: what is left of the body is not worth reading.
fn too_slow() -> Response {
    let mut response = (
        StatusCode::REQUEST_TIMEOUT,
        axum::Json(app::dto::ApiErrorBody {
            error: app::dto::ApiError {
                code: "request_timeout".into(),
                message: "the request took too long to arrive; please try again".into(),
                field: None,
            },
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// What became of a request's body, shared between the body and the middleware.
const BODY_READING: u8 = 0;
const BODY_DONE: u8 = 1;
const BODY_TOO_SLOW: u8 = 2;

/// The middleware: sheds, reserves, times.
pub async fn guard(
    State(pressure): State<Arc<Pressure>>,
    request: Request,
    next: Next,
) -> Response {
    if NEVER_SHED.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    // Both held until the answer's head is ready (this function returns); a stream's body
    // runs on without them.
    let Ok(_in_flight) = Arc::clone(&pressure.in_flight).try_acquire_owned() else {
        return busy("the server is busy; please try again in a moment");
    };
    let reserve = pressure.body_reservation(&request);
    let _reserved = match reserve {
        0 => None,
        kib => match Arc::clone(&pressure.body_memory).try_acquire_many_owned(kib) {
            Ok(reserved) => Some(reserved),
            Err(_) => return busy("the server is receiving too much at once; please try again"),
        },
    };
    let (parts, body) = request.into_parts();
    // A request without a body (most GETs) cannot be slow to send one.
    let state = Arc::new(AtomicU8::new(if body.is_end_stream() {
        BODY_DONE
    } else {
        BODY_READING
    }));
    let body = Body::new(DeadlineBody::new(
        body,
        pressure.body_grace,
        pressure.body_min_rate,
        Arc::clone(&state),
    ));
    let answer = tokio::time::timeout(
        pressure.request_timeout,
        next.run(Request::from_parts(parts, body)),
    )
    .await;
    match answer {
        Ok(_) if state.load(Ordering::Acquire) == BODY_TOO_SLOW => too_slow(),
        Ok(response) => response,
        // Out of time with the body still coming: the client was too slow.
        Err(_) if state.load(Ordering::Acquire) != BODY_DONE => too_slow(),
        Err(_) => {
            tracing::warn!(
                timeout_secs = pressure.request_timeout.as_secs(),
                "a request ran out of time"
            );
            busy("the server took too long to answer; please try again")
        }
    }
}

/// A request body that must keep arriving: it fails once its deadline passes, the deadline
/// moving on by a second for every `min_rate` bytes received.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    min_rate: u32,
    state: Arc<AtomicU8>,
}

impl DeadlineBody {
    fn new(inner: Body, grace: Duration, min_rate: u32, state: Arc<AtomicU8>) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(grace)),
            min_rate,
            state,
        }
    }
}

/// Why a body was cut off, for whoever was reading it.
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
struct BodyTooSlow;

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if this.state.load(Ordering::Acquire) == BODY_TOO_SLOW {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let earned =
                        Duration::from_secs_f64(data.len() as f64 / f64::from(this.min_rate));
                    let deadline = this.deadline.deadline() + earned;
                    this.deadline.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(None) => {
                this.state.store(BODY_DONE, Ordering::Release);
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.state.store(BODY_TOO_SLOW, Ordering::Release);
                    Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pressure(max_body_bytes: usize, body_memory_mib: u32) -> Pressure {
        Pressure::new(PressureSettings {
            max_in_flight: 4,
            body_memory_mib,
            max_body_bytes,
            body_grace_secs: 20,
            body_min_rate: 1024,
            request_timeout_secs: 60,
        })
    }

    fn request(method: Method, length: Option<u64>) -> Request {
        let mut builder = axum::http::Request::builder().method(method).uri("/x");
        if let Some(length) = length {
            builder = builder.header(header::CONTENT_LENGTH, length);
        }
        builder.body(Body::empty()).expect("request")
    }

    #[test]
    fn bodies_reserve_their_declared_length_up_to_the_largest_accepted() {
        let p = pressure(15 * 1024 * 1024, 256);
        assert_eq!(p.body_reservation(&request(Method::GET, None)), 0);
        assert_eq!(p.body_reservation(&request(Method::POST, Some(2_000))), 0);
        assert_eq!(
            p.body_reservation(&request(Method::POST, Some(1_048_576))),
            1024
        );
        // Chunked: as much as the largest upload.
        assert_eq!(p.body_reservation(&request(Method::POST, None)), 15 * 1024);
        // Declared beyond what is accepted: refused on reading, reserved as the largest.
        assert_eq!(
            p.body_reservation(&request(Method::PUT, Some(u64::MAX))),
            15 * 1024
        );
        // Never more than the whole budget, so one request can always be taken.
        let small = pressure(15 * 1024 * 1024, 1);
        assert_eq!(small.body_reservation(&request(Method::POST, None)), 1024);
    }

    #[tokio::test]
    async fn a_body_that_keeps_arriving_earns_time_and_one_that_stalls_is_cut_off() {
        let started = std::time::Instant::now();
        let (mut sender, inner) = body_channel();
        let state = Arc::new(AtomicU8::new(BODY_READING));
        let mut body = DeadlineBody::new(
            inner,
            Duration::from_millis(200),
            10_000,
            Arc::clone(&state),
        );
        // 3,000 bytes earn 300 ms beyond the 200 of grace.
        sender.send(Bytes::from(vec![0u8; 3000])).await;
        let first = next_frame(&mut body).await.expect("frame").expect("data");
        assert_eq!(first.into_data().map(|d| d.len()).ok(), Some(3000));
        assert_eq!(state.load(Ordering::Acquire), BODY_READING);
        // Nothing more: cut off once the grace and the earned time are spent, not before.
        let cut = next_frame(&mut body).await.expect("an error, not the end");
        assert!(cut.is_err());
        assert!(
            started.elapsed() >= Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(state.load(Ordering::Acquire), BODY_TOO_SLOW);
        // And stays cut off.
        assert!(next_frame(&mut body).await.expect("an error").is_err());
        drop(sender);
    }

    async fn next_frame(body: &mut DeadlineBody) -> Option<Result<Frame<Bytes>, axum::Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
    }

    /// A body fed by the test, frame by frame.
    fn body_channel() -> (Feeder, Body) {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
        });
        (Feeder(tx), Body::from_stream(stream))
    }

    struct Feeder(tokio::sync::mpsc::Sender<Bytes>);

    impl Feeder {
        async fn send(&mut self, bytes: Bytes) {
            self.0.send(bytes).await.expect("the body is read");
        }
    }
}
