//! Why a request to the store failed, in words that say what to fix: no credentials, a bucket
//! that does not exist, access denied, a store that cannot be connected to, one that does not
//! answer. object_store reports these as its own errors wrapping HTTP statuses, S3 error
//! bodies (XML) and transport errors; here they are told apart, once, for every caller (a
//! pass, the background loop, a reader of an archived day).
//!
//! Nothing here ever puts a response body in a message: an S3 error body can hold the access
//! key id (`SignatureDoesNotMatch`), so only its `<Code>` is kept.

use std::error::Error as StdError;
use std::fmt;
use std::io;

use object_store::client::{HttpError, HttpErrorKind};

use crate::error::Error;
use crate::remote::ArchiveConfig;

/// What kind of failure an error of the store is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No credentials could be found, or the store refused the ones given.
    Credentials,
    /// The bucket does not exist.
    NoBucket,
    /// The credentials are valid but lack a permission (403 `AccessDenied`).
    AccessDenied,
    /// The store could not be connected to.
    Unreachable,
    /// The store did not answer in time.
    Timeout,
    /// Anything else (a 5xx, a malformed answer, …).
    Other,
}

/// S3 error codes that mean the credentials themselves are wrong.
const REJECTED_CREDENTIALS: &[&str] = &[
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "InvalidSecurity",
];

/// The credential provider found nothing to sign with. Raised by the provider `config.rs`
/// installs, so that this failure is told apart by its type, not by its wording.
#[derive(Debug)]
pub struct NoCredentials {
    /// What was tried: the metadata service, and why it gave nothing; `None` when it was not
    /// asked (`AWS_EC2_METADATA_DISABLED`).
    pub metadata: Option<String>,
}

impl fmt::Display for NoCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let given = "none were given (archive.accessKeyId and archive.secretAccessKey, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a web identity or container role)";
        match &self.metadata {
            None => write!(
                f,
                "no credentials: {given}, and AWS_EC2_METADATA_DISABLED is set, so the EC2 instance metadata service was not asked; give credentials"
            ),
            Some(why) => write!(
                f,
                "no credentials: {given}, and the EC2 instance metadata service gave none ({why}); give credentials, or run where an instance role provides them (AWS_EC2_METADATA_DISABLED=true stops asking the metadata service)"
            ),
        }
    }
}

impl StdError for NoCredentials {}

/// An error of the store as an I/O error: its message is `describe`'s (no response body), and
/// the store's error stays inside for `classify`.
#[derive(Debug)]
pub struct StoreError {
    text: String,
    source: object_store::Error,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

/// An object store error as an I/O error a reader can report (`NotFound` kept as such).
pub fn to_io(e: object_store::Error) -> io::Error {
    let kind = match e {
        object_store::Error::NotFound { .. } => io::ErrorKind::NotFound,
        _ => io::ErrorKind::Other,
    };
    let (_, text) = describe(&e);
    io::Error::new(kind, StoreError { text, source: e })
}

/// The next error down a chain. An `io::Error` wrapping another is looked into (its `source`
/// skips the wrapped error itself).
fn next<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a (dyn StdError + 'static)> {
    if let Some(io) = e.downcast_ref::<io::Error>() {
        if let Some(inner) = io.get_ref() {
            return Some(inner);
        }
    }
    e.source()
}

/// The `<Code>` of an S3 error body somewhere in `text`.
fn s3_code(text: &str) -> Option<&str> {
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    let code = &text[start..start + len];
    code.bytes()
        .all(|b| b.is_ascii_alphanumeric())
        .then_some(code)
}

/// The HTTP status object_store wrote into `text` ("status code: 404 Not Found").
fn status(text: &str) -> Option<u16> {
    let at = text.find("status code: ")? + "status code: ".len();
    text.get(at..at + 3)?.parse().ok()
}

/// `text` without any response body (from the first `<` of XML on).
fn without_body(text: &str) -> String {
    let cut = text.find("<?xml").or_else(|| text.find("<Error"));
    let kept = cut.map_or(text, |at| &text[..at]);
    kept.trim_end_matches([' ', ':', '\n']).to_string()
}

/// What kind of failure `err` is, and a description of it that holds no response body.
pub fn describe(mut err: &(dyn StdError + 'static)) -> (Kind, String) {
    // An error `to_io` made: the store's error inside is the one to describe.
    loop {
        if let Some(inner) = err.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            err = inner;
        } else if let Some(store) = err.downcast_ref::<StoreError>() {
            err = &store.source;
        } else {
            break;
        }
    }
    let top = without_body(&err.to_string());
    let mut code = None;
    let mut http_status = None;
    let mut transport = None;
    let mut innermost = None;
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(none) = e.downcast_ref::<NoCredentials>() {
            return (Kind::Credentials, none.to_string());
        }
        if let Some(http) = e.downcast_ref::<HttpError>() {
            transport.get_or_insert(http.kind());
        }
        let text = e.to_string();
        code = code.or_else(|| s3_code(&text).map(str::to_string));
        http_status = http_status.or_else(|| status(&text));
        if let Some(os) = e.downcast_ref::<object_store::Error>() {
            http_status = http_status.or(match os {
                object_store::Error::PermissionDenied { .. } => Some(403),
                object_store::Error::Unauthenticated { .. } => Some(401),
                _ => None,
            });
        }
        innermost = Some(text);
        cur = next(e);
    }
    let code = code.as_deref();
    let with_code = |what: &str| match code {
        Some(c) => format!("{what} ({c}): {top}"),
        None => format!("{what}: {top}"),
    };
    match (code, http_status, transport) {
        (Some("NoSuchBucket"), _, _) => (Kind::NoBucket, with_code("no such bucket")),
        (Some(c), _, _) if REJECTED_CREDENTIALS.contains(&c) => (
            Kind::Credentials,
            with_code("the store rejected the credentials"),
        ),
        (_, Some(401), _) => (
            Kind::Credentials,
            with_code("the store rejected the credentials"),
        ),
        (Some("AccessDenied"), _, _) | (_, Some(403), _) => {
            (Kind::AccessDenied, with_code("access denied"))
        }
        (_, _, Some(HttpErrorKind::Timeout)) => (Kind::Timeout, top),
        (_, _, Some(HttpErrorKind::Connect)) => {
            // The innermost error is the system's reason (connection refused, no route, …).
            let why = innermost.unwrap_or_default();
            (Kind::Unreachable, format!("{top}: {why}"))
        }
        _ => (Kind::Other, with_code_if(code, top)),
    }
}

fn with_code_if(code: Option<&str>, text: String) -> String {
    match code {
        Some(c) => format!("{text} ({c})"),
        None => text,
    }
}

/// Where the store is, as a message names it.
fn store_of(config: &ArchiveConfig) -> String {
    match &config.options.endpoint {
        Some(endpoint) => endpoint.clone(),
        None => format!("AWS S3 in {}", config.region()),
    }
}

/// The error of the log for a failure of its store, with what to do about it.
pub fn classify(config: &ArchiveConfig, err: &(dyn StdError + 'static)) -> Error {
    let (kind, what) = describe(err);
    let url = config.url().to_string();
    let store = store_of(config);
    let window = config.retry_timeout.as_millis();
    match kind {
        Kind::Credentials => Error::ArchiveCredentials { url, detail: what },
        Kind::NoBucket => Error::ArchiveNoBucket {
            url,
            detail: format!(
                "the bucket {:?} does not exist at {store}; create it, or correct the url (and the endpoint or region): {what}",
                config.bucket
            ),
        },
        Kind::AccessDenied => Error::ArchiveAccessDenied {
            url,
            detail: format!(
                "the credentials are not allowed this at {store}; grant them s3:ListBucket on the bucket and s3:GetObject, s3:PutObject and s3:AbortMultipartUpload on the prefix (README: IAM permissions): {what}"
            ),
        },
        Kind::Unreachable => Error::ArchiveUnreachable {
            url,
            detail: format!(
                "could not connect to the store at {store} within the retry window ({window} ms); check the endpoint, the network, and that the store is up: {what}"
            ),
        },
        Kind::Timeout => Error::ArchiveTimeout {
            url,
            detail: format!(
                "the store at {store} did not answer within the retry window ({window} ms); check the network, or raise archive.retryTimeoutMs: {what}"
            ),
        },
        Kind::Other => Error::Archive { url, detail: what },
    }
}

/// The error for a request that got no answer within `limit` (our own bound).
pub fn timed_out(config: &ArchiveConfig, limit: std::time::Duration) -> Error {
    Error::ArchiveTimeout {
        url: config.url().to_string(),
        detail: format!(
            "the store at {} did not answer within {} ms; check the network, or raise archive.retryTimeoutMs",
            store_of(config),
            limit.as_millis()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generic(text: &str) -> object_store::Error {
        object_store::Error::Generic {
            store: "S3",
            source: text.to_string().into(),
        }
    }

    #[test]
    fn tells_s3_error_codes_and_statuses_apart_and_drops_the_body() {
        let body = |code: &str| {
            format!("Error performing GET http://127.0.0.1:9/b?list-type=2 in 3ms - Server returned non-2xx status code: 404 Not Found: <?xml version=\"1.0\"?><Error><Code>{code}</Code><AWSAccessKeyId>AKIDSECRET</AWSAccessKeyId></Error>")
        };
        let (kind, text) = describe(&generic(&body("NoSuchBucket")));
        assert_eq!(kind, Kind::NoBucket);
        assert!(
            !text.contains("AKIDSECRET") && !text.contains('<'),
            "{text}"
        );
        assert!(text.contains("GET http://127.0.0.1:9/b"), "{text}");
        assert_eq!(
            describe(&generic(&body("SignatureDoesNotMatch"))).0,
            Kind::Credentials
        );
        assert_eq!(
            describe(&generic(&body("AccessDenied"))).0,
            Kind::AccessDenied
        );
        let denied = object_store::Error::PermissionDenied {
            path: "k".into(),
            source: "HEAD without a body".to_string().into(),
        };
        assert_eq!(describe(&denied).0, Kind::AccessDenied);
        assert_eq!(describe(&generic("status code: 500 oops")).0, Kind::Other);
    }

    #[test]
    fn an_io_error_keeps_the_store_error_inside() {
        let io = to_io(generic(
            "status code: 403 Forbidden: <Error><Code>AccessDenied</Code></Error>",
        ));
        assert!(!io.to_string().contains('<'), "{io}");
        assert_eq!(describe(&io).0, Kind::AccessDenied);
        let none = object_store::Error::Generic {
            store: "S3",
            source: Box::new(NoCredentials { metadata: None }),
        };
        let (kind, text) = describe(&to_io(none));
        assert_eq!(kind, Kind::Credentials);
        assert!(text.contains("AWS_EC2_METADATA_DISABLED"), "{text}");
    }
}
