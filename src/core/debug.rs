//! `DEBUG=eventlog:*` tracing, as the original package does it with the `debug` module: off
//! unless the environment asks, and then one line on stderr per event of interest.

use std::sync::OnceLock;

/// Whether `DEBUG` enables the namespace `eventlog:<area>`.
pub fn enabled(area: &str) -> bool {
    static SPEC: OnceLock<Vec<String>> = OnceLock::new();
    let spec = SPEC.get_or_init(|| {
        std::env::var("DEBUG")
            .unwrap_or_default()
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    });
    if spec.is_empty() {
        return false;
    }
    let name = format!("eventlog:{area}");
    let mut on = false;
    for pat in spec {
        let (neg, pat) = match pat.strip_prefix('-') {
            Some(p) => (true, p),
            None => (false, pat.as_str()),
        };
        if glob(pat, &name) {
            on = !neg;
        }
    }
    on
}

/// `*` matches any run of characters; nothing else is special.
fn glob(pat: &str, name: &str) -> bool {
    match pat.split_once('*') {
        None => pat == name,
        Some((head, tail)) => {
            name.starts_with(head)
                && (0..=name.len() - head.len()).any(|i| glob(tail, &name[head.len() + i..]))
        }
    }
}

/// `debug!("area", "format", args…)`: prints `eventlog:area message` when enabled.
macro_rules! debug {
    ($area:expr, $($arg:tt)*) => {
        if $crate::debug::enabled($area) {
            eprintln!("eventlog:{} {}", $area, format!($($arg)*));
        }
    };
}
pub(crate) use debug;

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        assert!(glob("eventlog:*", "eventlog:writer"));
        assert!(glob("*", "eventlog:writer"));
        assert!(!glob("eventlog:reader", "eventlog:writer"));
        assert!(glob("eventlog:writer", "eventlog:writer"));
    }
}
