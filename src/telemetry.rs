//! Logging: one subscriber for the process, and the request id that ties a
//! request's log lines and its error answers together.

use std::fmt::{self, Write as _};
use std::future::Future;
use std::io::IsTerminal;

use poem::http::HeaderValue;
use tracing::field::{Field, Visit};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Libraries whose log lines may quote what a registered server answered (and
/// a server may echo the credentials it was sent): silent unless `RUST_LOG`
/// names them.
const QUOTING_TARGETS: [&str; 1] = ["rmcp"];

/// Installs the global subscriber; `RUST_LOG` sets the level (default `info`).
pub fn init(format: LogFormat) {
    let directives = std::env::var(EnvFilter::DEFAULT_ENV).unwrap_or_else(|_| "info".to_owned());
    let mut filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    for target in QUOTING_TARGETS {
        if !directives.contains(target)
            && let Ok(directive) = format!("{target}=off").parse()
        {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    // A second init (tests calling in-process) keeps the first subscriber.
    // JSON escapes every control character itself; the text format is given
    // a field writer that does.
    let _ = match format {
        LogFormat::Text => builder.fmt_fields(EscapedFields).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Writes a text event's fields as the default format does (`message`
/// first, then `name=value`), with every control character of a value
/// escaped: a tool name, a path or anything else from input must not end a
/// line and write one of its own (a forged audit event, say).
struct EscapedFields;

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut visitor = EscapingVisitor {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct EscapingVisitor<'a, 'writer> {
    writer: &'a mut Writer<'writer>,
    first: bool,
    result: fmt::Result,
}

impl EscapingVisitor<'_, '_> {
    fn write(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        let separator = if std::mem::take(&mut self.first) {
            ""
        } else {
            " "
        };
        self.result = match field.name() {
            "message" => write!(self.writer, "{separator}{}", Escaped(value)),
            name => write!(self.writer, "{separator}{name}={}", Escaped(value)),
        };
    }
}

impl Visit for EscapingVisitor<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        // Quoted, as the default format writes strings.
        self.write(field, &format!("{value:?}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, &format!("{value:?}"));
    }
}

/// Text with its control characters (and Unicode's line and paragraph
/// separators) written as escapes.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                    write!(f, "\\u{{{:x}}}", u32::from(c))?;
                }
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

tokio::task_local! {
    static CURRENT_REQUEST: RequestId;
}

/// Identifies one request in logs, in the `X-Request-Id` header and in 500 bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub const HEADER: &'static str = "x-request-id";

    /// Keeps a caller's id when it is short and plain (safe to log), else makes one.
    pub fn from_header_or_new(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                (1..=64).contains(&v.len())
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            })
            .map(|v| Self(v.to_owned()))
            .unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Runs `request` with this id as the current one, so whatever it reports
    /// (an error body, say) can name it without the id being passed along.
    pub fn scope<F: Future>(self, request: F) -> impl Future<Output = F::Output> {
        CURRENT_REQUEST.scope(self, request)
    }

    /// The id of the request being served; a fresh one outside any request.
    pub fn current() -> Self {
        CURRENT_REQUEST.try_with(Clone::clone).unwrap_or_default()
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        let text = "tool\n2026 INFO audit: forged\r\t\u{1b}[31m\u{2028}é✓";
        assert_eq!(
            Escaped(text).to_string(),
            "tool\\n2026 INFO audit: forged\\r\\t\\u{1b}[31m\\u{2028}é✓"
        );
    }
}
