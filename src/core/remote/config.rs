//! The `archive` option: where the archive is and how to reach it, checked at open so that a
//! mistake is an error naming the field, not a failure hours later in the background.
//!
//! Credentials live only in the store client built from this: `Debug` leaves them out, no
//! error or `DEBUG` line prints them, and nothing of ours on disk holds them.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey, AwsCredential};
use object_store::path::Path as KeyPath;
use object_store::{BackoffConfig, ClientOptions, CredentialProvider, RetryConfig};

use crate::error::{Error, Result};
use crate::remote::failure::NoCredentials;

/// Defaults of the optional fields.
pub const DEFAULT_RETRY_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_RETRIES: usize = 10;
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// The sub-prefix (below the archive's prefix) of every object of ours that is not a day. Query
/// engines (Athena, Spark, Hive, Trino) skip names that start with `_`, so a table over the
/// prefix reads only days, and a glob over the prefix's names (DuckDB's `prefix/*`) never
/// reaches into it.
pub const OWN_DIR: &str = "_eventlog";
/// How the key of a day's index ends.
pub const INDEX_SUFFIX: &str = ".index";

/// The shortest poll interval allowed (listing a bucket more often helps nobody).
const MIN_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The `archive` option as given (every field but `url` optional).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ArchiveOptions {
    /// `s3://bucket/prefix` (the prefix may be empty).
    pub url: String,
    /// The store's address for S3-compatible servers (`http://127.0.0.1:9000`); AWS if unset.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Days before today kept on local disk once archived (all, if unset).
    pub keep_local_days: Option<u32>,
    pub retry_timeout_ms: Option<u64>,
    pub max_retries: Option<u32>,
    pub poll_interval_ms: Option<u64>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
}

impl fmt::Debug for ArchiveOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArchiveOptions")
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("keep_local_days", &self.keep_local_days)
            .field("retry_timeout_ms", &self.retry_timeout_ms)
            .field("max_retries", &self.max_retries)
            .field("poll_interval_ms", &self.poll_interval_ms)
            .field(
                "credentials",
                &self.access_key_id.as_ref().map(|_| "(given)"),
            )
            .finish()
    }
}

/// A checked archive configuration.
#[derive(Debug, Clone)]
pub struct ArchiveConfig {
    pub options: ArchiveOptions,
    /// The archive's name, `s3://bucket/prefix` with the prefix trimmed of slashes: what our
    /// records of uploads say they were uploaded to.
    url: String,
    pub bucket: String,
    /// The key prefix every object of the log starts with (`prefix/`), possibly empty.
    pub prefix: KeyPath,
    pub keep_local_days: Option<u32>,
    pub retry_timeout: Duration,
    pub max_retries: usize,
    pub poll_interval: Duration,
}

fn invalid(field: &str, reason: impl Into<String>) -> Error {
    Error::InvalidArchiveConfig {
        field: format!("archive.{field}"),
        reason: reason.into(),
    }
}

impl ArchiveConfig {
    pub fn parse(options: ArchiveOptions) -> Result<ArchiveConfig> {
        let rest = options.url.strip_prefix("s3://").ok_or_else(|| {
            invalid(
                "url",
                format!(
                    "{:?} is not an s3:// URL; write it as \"s3://bucket/prefix\"",
                    options.url
                ),
            )
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !bucket_ok {
            return Err(invalid(
                "url",
                format!("{bucket:?} is not a bucket name (3 to 63 of a-z, 0-9, '-' and '.')"),
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|s| s == "." || s == "..") || (prefix.contains("//")) {
            return Err(invalid(
                "url",
                format!("the prefix {prefix:?} has an empty, . or .. part"),
            ));
        }
        if let Some(endpoint) = &options.endpoint {
            let scheme_ok = endpoint.starts_with("http://") || endpoint.starts_with("https://");
            let host = endpoint.split("://").nth(1).unwrap_or("");
            if !scheme_ok || host.is_empty() || host.starts_with('/') {
                return Err(invalid(
                    "endpoint",
                    format!("{endpoint:?} is not an http:// or https:// URL such as \"http://127.0.0.1:9000\""),
                ));
            }
        }
        for (field, value) in [
            ("region", &options.region),
            ("accessKeyId", &options.access_key_id),
            ("secretAccessKey", &options.secret_access_key),
            ("sessionToken", &options.session_token),
        ] {
            if value.as_deref().is_some_and(str::is_empty) {
                return Err(invalid(
                    field,
                    "must not be empty; leave it out to use the default",
                ));
            }
        }
        if options.access_key_id.is_some() != options.secret_access_key.is_some() {
            return Err(invalid(
                if options.access_key_id.is_some() { "secretAccessKey" } else { "accessKeyId" },
                "accessKeyId and secretAccessKey go together; give both, or neither to use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            ));
        }
        if options.session_token.is_some() && options.access_key_id.is_none() {
            return Err(invalid(
                "sessionToken",
                "needs accessKeyId and secretAccessKey",
            ));
        }
        let retry_timeout = match options.retry_timeout_ms {
            Some(0) => return Err(invalid("retryTimeoutMs", "must be at least 1")),
            Some(ms) => Duration::from_millis(ms),
            None => DEFAULT_RETRY_TIMEOUT,
        };
        let poll_interval = match options.poll_interval_ms {
            Some(ms) if Duration::from_millis(ms) < MIN_POLL_INTERVAL => {
                return Err(invalid(
                    "pollIntervalMs",
                    format!("must be at least {} ms", MIN_POLL_INTERVAL.as_millis()),
                ))
            }
            Some(ms) => Duration::from_millis(ms),
            None => DEFAULT_POLL_INTERVAL,
        };
        Ok(ArchiveConfig {
            url: if prefix.is_empty() {
                format!("s3://{bucket}")
            } else {
                format!("s3://{bucket}/{prefix}")
            },
            bucket: bucket.to_string(),
            prefix: KeyPath::from(prefix),
            keep_local_days: options.keep_local_days,
            retry_timeout,
            max_retries: options
                .max_retries
                .map_or(DEFAULT_MAX_RETRIES, |n| n as usize),
            poll_interval,
            options,
        })
    }

    /// The archive as users name it (`s3://bucket/prefix`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The key of an object for a name below the pattern's base directory.
    pub fn key_for(&self, relative_name: &str) -> KeyPath {
        if self.prefix.as_ref().is_empty() {
            KeyPath::from(relative_name)
        } else {
            KeyPath::from(format!("{}/{relative_name}", self.prefix))
        }
    }

    /// The name below the base directory that a key stands for (the inverse of `key_for`);
    /// `None` for keys outside the prefix and for our own objects under `_eventlog/`.
    pub fn relative_name<'a>(&self, key: &'a str) -> Option<&'a str> {
        let prefix = self.prefix.as_ref();
        let name = if prefix.is_empty() {
            key
        } else {
            key.strip_prefix(prefix)?.strip_prefix('/')?
        };
        let ours = name
            .strip_prefix(OWN_DIR)
            .is_some_and(|rest| rest.starts_with('/'));
        (!ours).then_some(name)
    }

    /// The key of the sparse index of the day at `day_key`:
    /// `prefix/_eventlog/index/<the day's name below the prefix>.index`, derived from the day's
    /// key alone, so a reader with only the archive finds it.
    pub fn index_key(&self, day_key: &str) -> KeyPath {
        let name = self.relative_name(day_key).unwrap_or(day_key);
        self.key_for(&format!("{OWN_DIR}/index/{name}{INDEX_SUFFIX}"))
    }

    /// The key of the stream index (`stream/sealed.rs`) for the key directory `key_dir` of the
    /// day at `day_key`: `prefix/_eventlog/streams/<key_dir>/<the day's name>.sidx`.
    pub fn stream_index_key(&self, day_key: &str, key_dir: &str) -> KeyPath {
        let name = self.relative_name(day_key).unwrap_or(day_key);
        self.key_for(&format!("{OWN_DIR}/streams/{key_dir}/{name}.sidx"))
    }

    /// The region requests are signed for: the option, else `AWS_REGION`, else
    /// `AWS_DEFAULT_REGION`, else us-east-1.
    pub fn region(&self) -> String {
        self.options
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
            .unwrap_or_else(|| "us-east-1".to_string())
    }

    /// The client for the store. Credentials and region default to the standard AWS
    /// environment variables; with none, the EC2 instance metadata service is asked, as AWS
    /// SDKs do, unless `AWS_EC2_METADATA_DISABLED` is `true` (then every request fails at once
    /// with `ArchiveCredentials`, and nothing is sent to 169.254.169.254).
    pub fn build_store(&self) -> Result<Arc<AmazonS3>> {
        let b = self.builder();
        let build = |b: AmazonS3Builder| {
            b.build().map(Arc::new).map_err(|e| {
                // The builder's messages name settings, never their secret values.
                invalid("url", format!("the store cannot be set up: {e}"))
            })
        };
        if has_credentials(&b) {
            return build(b);
        }
        if metadata_disabled() {
            return build(b.with_credentials(Arc::new(NoCredentialChain { metadata: None })));
        }
        // The instance metadata service: object_store asks it; its failures are marked as
        // failures to find credentials (they are not the store's).
        let asked = b
            .get_config_value(&AmazonS3ConfigKey::MetadataEndpoint)
            .unwrap_or_else(|| "http://169.254.169.254".to_string());
        let chain = build(b.clone())?.credentials().clone();
        build(b.with_credentials(Arc::new(NoCredentialChain {
            metadata: Some((asked, chain)),
        })))
    }

    /// The builder of the client, before credentials are chosen.
    fn builder(&self) -> AmazonS3Builder {
        install_crypto_provider();
        let o = &self.options;
        // Client options first: they replace what `with_allow_http` sets.
        let mut b = AmazonS3Builder::from_env()
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(self.retry_timeout.min(Duration::from_secs(10)))
                    .with_timeout(Duration::from_secs(120)),
            )
            .with_bucket_name(&self.bucket);
        b = b.with_region(self.region());
        // The `endpoint` option, or the standard AWS_ENDPOINT_URL(_S3) that `from_env` read:
        // either way an http:// one is allowed (the client options above reset what
        // AWS_ALLOW_HTTP said).
        let endpoint = o
            .endpoint
            .clone()
            .or_else(|| b.get_config_value(&AmazonS3ConfigKey::Endpoint));
        if let Some(endpoint) = &endpoint {
            b = b
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                // Path style: `bucket.127.0.0.1` does not resolve.
                .with_virtual_hosted_style_request(false);
        }
        if let (Some(id), Some(secret)) = (&o.access_key_id, &o.secret_access_key) {
            b = b.with_access_key_id(id).with_secret_access_key(secret);
            if let Some(token) = &o.session_token {
                b = b.with_token(token);
            }
        }
        b = b.with_retry(RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(15),
                base: 2.0,
            },
            max_retries: self.max_retries,
            retry_timeout: self.retry_timeout,
        });
        b
    }
}

/// Whether the builder has a source of credentials other than the instance metadata service
/// (object_store's order: keys, a web identity, a container role; or no signing at all).
fn has_credentials(b: &AmazonS3Builder) -> bool {
    let set = |key: AmazonS3ConfigKey| b.get_config_value(&key).is_some();
    let yes = |key: AmazonS3ConfigKey| {
        b.get_config_value(&key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    };
    set(AmazonS3ConfigKey::AccessKeyId)
        || set(AmazonS3ConfigKey::SecretAccessKey)
        || (set(AmazonS3ConfigKey::WebIdentityTokenFile) && set(AmazonS3ConfigKey::RoleArn))
        || set(AmazonS3ConfigKey::ContainerCredentialsRelativeUri)
        || (set(AmazonS3ConfigKey::ContainerCredentialsFullUri)
            && set(AmazonS3ConfigKey::ContainerAuthorizationTokenFile))
        || yes(AmazonS3ConfigKey::SkipSignature)
}

/// `AWS_EC2_METADATA_DISABLED=true` (any case), as AWS SDKs read it.
fn metadata_disabled() -> bool {
    std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The credentials when none were given: the instance metadata service's (`metadata`: its
/// address and object_store's provider for it), or, when it may not be asked, none at all.
/// Either way a failure is a `NoCredentials`, which `failure.rs` tells from the store's own.
#[derive(Debug)]
struct NoCredentialChain {
    metadata: Option<(
        String,
        Arc<dyn CredentialProvider<Credential = AwsCredential>>,
    )>,
}

#[async_trait::async_trait]
impl CredentialProvider for NoCredentialChain {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let no = |metadata| object_store::Error::Generic {
            store: "S3",
            source: Box::new(NoCredentials { metadata }),
        };
        let Some((address, provider)) = &self.metadata else {
            return Err(no(None));
        };
        provider.get_credential().await.map_err(|e| {
            let (_, why) = crate::remote::failure::describe(&e);
            no(Some(format!("asked at {address}: {why}")))
        })
    }
}

/// rustls needs its cryptography chosen once per process before the first client is built.
fn install_crypto_provider() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        // Already installed by someone else in the process: theirs serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(url: &str) -> ArchiveOptions {
        ArchiveOptions {
            url: url.into(),
            ..ArchiveOptions::default()
        }
    }

    fn field_of(r: Result<ArchiveConfig>) -> String {
        match r {
            Err(Error::InvalidArchiveConfig { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn parses_bucket_prefix_and_keys() {
        let c = ArchiveConfig::parse(opts("s3://my-bucket/logs/app/")).unwrap();
        assert_eq!(c.url(), "s3://my-bucket/logs/app");
        assert_eq!(
            (c.bucket.as_str(), c.prefix.as_ref()),
            ("my-bucket", "logs/app")
        );
        let key = c.key_for("2026/11/events-20.log");
        assert_eq!(key.as_ref(), "logs/app/2026/11/events-20.log");
        assert_eq!(c.relative_name(key.as_ref()), Some("2026/11/events-20.log"));
        assert_eq!(c.relative_name("logs/other/x"), None);
        // Our own objects are under `_eventlog/`, which no reader takes for a day.
        let index = c.index_key(key.as_ref());
        assert_eq!(
            index.as_ref(),
            "logs/app/_eventlog/index/2026/11/events-20.log.index"
        );
        assert_eq!(c.relative_name(index.as_ref()), None);
        assert_eq!(
            c.relative_name("logs/app/_eventlogs/x"),
            Some("_eventlogs/x")
        );
        let bare = ArchiveConfig::parse(opts("s3://bucket")).unwrap();
        assert_eq!(
            bare.key_for("e-2026-11-20.log").as_ref(),
            "e-2026-11-20.log"
        );
        assert_eq!(
            bare.index_key("e-2026-11-20.log").as_ref(),
            "_eventlog/index/e-2026-11-20.log.index"
        );
        assert_eq!(bare.relative_name("_eventlog/index/e.index"), None);
        assert_eq!(bare.retry_timeout, DEFAULT_RETRY_TIMEOUT);
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        assert_eq!(
            field_of(ArchiveConfig::parse(opts("http://b/p"))),
            "archive.url"
        );
        assert_eq!(
            field_of(ArchiveConfig::parse(opts("s3://B/p"))),
            "archive.url"
        );
        assert_eq!(
            field_of(ArchiveConfig::parse(opts("s3://bucket/a/../b"))),
            "archive.url"
        );
        let mut o = opts("s3://bucket/p");
        o.endpoint = Some("127.0.0.1:9000".into());
        assert_eq!(
            field_of(ArchiveConfig::parse(o.clone())),
            "archive.endpoint"
        );
        o.endpoint = None;
        o.access_key_id = Some("AKIA".into());
        assert_eq!(
            field_of(ArchiveConfig::parse(o.clone())),
            "archive.secretAccessKey"
        );
        o.access_key_id = None;
        o.poll_interval_ms = Some(1);
        assert_eq!(
            field_of(ArchiveConfig::parse(o.clone())),
            "archive.pollIntervalMs"
        );
        o.poll_interval_ms = None;
        o.retry_timeout_ms = Some(0);
        assert_eq!(field_of(ArchiveConfig::parse(o)), "archive.retryTimeoutMs");
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let mut o = opts("s3://bucket/p");
        o.access_key_id = Some("AKIAEXAMPLEKEYID".into());
        o.secret_access_key = Some("very-secret-value".into());
        o.session_token = Some("token-value".into());
        let c = ArchiveConfig::parse(o).unwrap();
        let text = format!("{c:?}");
        for secret in ["AKIAEXAMPLEKEYID", "very-secret-value", "token-value"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
