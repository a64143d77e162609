//! Redaction: a registered server may echo the credentials the registry sends
//! it, in whatever it answers (a tool result, a catalog, a notification). Every
//! byte from an upstream that reaches anyone else passes through a
//! `Redactor` made of that server's stored secrets, which replaces each of
//! them with `[redacted]` in every spelling a JSON encoder can give it: raw,
//! with `\"`, `\\`, `\/` and the other short escapes, or with any of its
//! characters written as `\uXXXX` (either case, surrogate pairs included), as
//! Go's encoder writes `&`, `<`, `>` and Python's every non-ASCII character.
//! An agent's JSON parser would turn any of those back into the secret.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Shorter values are too likely to be ordinary text to be replaced.
pub const MIN_SECRET_CHARS: usize = 8;
const REDACTED: &[u8] = b"[redacted]";

/// The stored secrets of one server, ready to be looked for.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

#[derive(Clone)]
struct Secret {
    chars: Vec<char>,
    /// The first byte of the secret written raw: with a backslash, where a
    /// spelling of it may begin.
    first_byte: u8,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} chars)", self.chars.len())
    }
}

impl Redactor {
    /// A redactor of `secrets`; those shorter than `MIN_SECRET_CHARS` are
    /// left out.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let mut secrets: Vec<Secret> = secrets
            .into_iter()
            .filter(|secret| secret.chars().count() >= MIN_SECRET_CHARS)
            .map(|secret| Secret {
                chars: secret.chars().collect(),
                first_byte: secret.as_bytes()[0],
            })
            .collect();
        // The longer of two overlapping secrets is replaced whole.
        secrets.sort_by(|a, b| {
            b.chars
                .len()
                .cmp(&a.chars.len())
                .then(a.chars.cmp(&b.chars))
        });
        secrets.dedup_by(|a, b| a.chars == b.chars);
        Self { secrets }
    }

    /// No stored secret is long enough to look for.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `data` with every spelling of every secret replaced.
    pub fn redact(&self, data: Bytes) -> Bytes {
        match self.found(&data) {
            found if found.is_empty() => data,
            found => Bytes::from(replaced(&data, &found)),
        }
    }

    /// `text` with every spelling of every secret replaced.
    pub fn redact_str<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let found = self.found(text.as_bytes());
        if found.is_empty() {
            return Cow::Borrowed(text);
        }
        // Whole characters (or whole escapes) are replaced: still UTF-8.
        Cow::Owned(String::from_utf8_lossy(&replaced(text.as_bytes(), &found)).into_owned())
    }

    /// `value` with every secret replaced wherever it holds one (a string, a
    /// key), read back from its JSON only when it held one: most hold none.
    /// `None` if the redacted JSON is no longer a `T`.
    pub fn redact_json<T: Serialize + DeserializeOwned>(&self, value: T) -> Option<T> {
        if self.is_empty() {
            return Some(value);
        }
        let json = serde_json::to_vec(&value).ok()?;
        let found = self.found(&json);
        if found.is_empty() {
            return Some(value);
        }
        // Not held while its redacted copy is parsed.
        drop(value);
        let redacted = replaced(&json, &found);
        drop(json);
        serde_json::from_slice(&redacted).ok()
    }

    /// Where spellings of the secrets are, in order, without overlaps.
    fn found(&self, data: &[u8]) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        for secret in &self.secrets {
            let mut from = 0;
            while let Some(offset) = memchr::memchr2(secret.first_byte, b'\\', &data[from..]) {
                let start = from + offset;
                match spelled_at(data, start, &secret.chars) {
                    Some(end) => {
                        found.push((unescaped_start(data, start), end));
                        from = end;
                    }
                    None => from = start + 1,
                }
            }
        }
        found.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        for (start, end) in found {
            match merged.last_mut() {
                Some(last) if start < last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }
}

/// `data` with each of `ranges` replaced by the mark.
fn replaced(data: &[u8], ranges: &[(usize, usize)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut from = 0;
    for &(start, end) in ranges {
        out.extend_from_slice(&data[from..start]);
        out.extend_from_slice(REDACTED);
        from = end;
    }
    out.extend_from_slice(&data[from..]);
    out
}

/// A spelling that begins with a backslash which is itself escaped (`\\u0073…`
/// is the text `\u0073…`, which any reader decodes at a glance) is replaced
/// with the backslash before it, so that no lone backslash is left to break
/// the JSON around it.
fn unescaped_start(data: &[u8], start: usize) -> usize {
    if data[start] != b'\\' {
        return start;
    }
    let preceding = data[..start]
        .iter()
        .rev()
        .take_while(|&&byte| byte == b'\\')
        .count();
    if preceding % 2 == 1 { start - 1 } else { start }
}

/// Where a spelling of `secret` that begins at `start` ends, if one does.
/// Each character may be written raw or escaped; an escape is tried first
/// (this is JSON), then the raw bytes (it may be text that is not).
fn spelled_at(data: &[u8], start: usize, secret: &[char]) -> Option<usize> {
    let mut at = start;
    for &wanted in secret {
        at += match escaped_char(data, at) {
            Some((found, len)) if found == wanted => len,
            _ => raw_char_len(data, at, wanted)?,
        };
    }
    Some(at)
}

/// The length of `wanted`'s UTF-8 bytes, if they are at `at`.
fn raw_char_len(data: &[u8], at: usize, wanted: char) -> Option<usize> {
    let mut buffer = [0; 4];
    let bytes = wanted.encode_utf8(&mut buffer).as_bytes();
    data.get(at..at + bytes.len())
        .filter(|found| *found == bytes)
        .map(|_| bytes.len())
}

/// The character a JSON escape at `at` stands for, and its length.
fn escaped_char(data: &[u8], at: usize) -> Option<(char, usize)> {
    if data.get(at) != Some(&b'\\') {
        return None;
    }
    let short = match data.get(at + 1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return unicode_escape(data, at),
        _ => return None,
    };
    Some((short, 2))
}

/// `\uXXXX`, or a surrogate pair of two.
fn unicode_escape(data: &[u8], at: usize) -> Option<(char, usize)> {
    let high = hex4(data.get(at + 2..at + 6)?)?;
    if !(0xD800..0xDC00).contains(&high) {
        return char::from_u32(high).map(|c| (c, 6));
    }
    if data.get(at + 6..at + 8)? != b"\\u" {
        return None;
    }
    let low = hex4(data.get(at + 8..at + 12)?)?;
    if !(0xDC00..0xE000).contains(&low) {
        return None;
    }
    char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).map(|c| (c, 12))
}

fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0, |value, &digit| {
        Some(value * 16 + char::from(digit).to_digit(16)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(secrets: &[&str], data: &str) -> String {
        let bytes = Redactor::new(secrets.iter().copied()).redact(Bytes::from(data.to_owned()));
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn raw_secrets_are_replaced_and_short_values_left_alone() {
        assert_eq!(
            redacted(
                &["sk-live-12345", "short"],
                "data: {\"echo\":\"Bearer sk-live-12345 sk-live-12345 short\"}\n\n"
            ),
            "data: {\"echo\":\"Bearer [redacted] [redacted] short\"}\n\n"
        );
        assert_eq!(redacted(&["sk-live-12345"], "{}"), "{}");
    }

    #[test]
    fn every_json_spelling_is_replaced() {
        let secret = "pa\"ss\\w/rd&<>é😀";
        for spelling in [
            // serde_json, Python's json.dumps, Go's encoding/json, JavaScript's
            // JSON.stringify, and a writer that escapes everything.
            serde_json::to_string(secret).unwrap(),
            "\"pa\\\"ss\\\\w\\/rd&<>\\u00e9\\ud83d\\ude00\"".to_owned(),
            "\"pa\\\"ss\\\\w/rd\\u0026\\u003c\\u003e\u{e9}😀\"".to_owned(),
            "\"\\u0070\\u0061\\u0022\\u0073\\u0073\\u005C\\u0077\\u002F\\u0072\\u0064\\u0026\\u003C\\u003E\\u00E9\\uD83D\\uDE00\""
                .to_owned(),
        ] {
            let answer = format!("{{\"text\":{spelling}}}");
            let out = redacted(&[secret], &answer);
            assert_eq!(out, "{\"text\":\"[redacted]\"}", "{answer}");
            let parsed: serde_json::Value = serde_json::from_str(&answer).unwrap();
            assert_eq!(parsed["text"], secret, "each spelling decodes to the secret");
        }
    }

    #[test]
    fn an_escaped_backslash_before_a_spelling_goes_with_it() {
        // The text `\u0073k-…`: a reader decodes it at a glance.
        let out = redacted(&["sk-upstream-7f3a"], r#"{"t":"\\u0073k-upstream-7f3a!"}"#);
        assert_eq!(out, r#"{"t":"[redacted]!"}"#);
        serde_json::from_str::<serde_json::Value>(&out).unwrap();
        // A genuine escape after an escaped backslash keeps the backslash.
        let out = redacted(&["sk-upstream-7f3a"], r#"{"t":"\\\u0073k-upstream-7f3a"}"#);
        assert_eq!(out, r#"{"t":"\\[redacted]"}"#);
    }

    #[test]
    fn overlapping_secrets_are_replaced_once() {
        let out = redacted(
            &["Bearer sk-upstream-7f3a", "sk-upstream-7f3a"],
            "a Bearer sk-upstream-7f3a b sk-upstream-7f3a",
        );
        assert_eq!(out, "a [redacted] b [redacted]");
    }

    #[test]
    fn values_are_redacted_in_strings_and_keys() {
        let redactor = Redactor::new(["sk-upstream-7f3a"]);
        let echoed = serde_json::json!({"text": "key \"sk-upstream-7f3a\"", "sk-upstream-7f3a": 1});
        assert_eq!(
            redactor.redact_json(echoed),
            Some(serde_json::json!({"text": "key \"[redacted]\"", "[redacted]": 1}))
        );
        assert_eq!(redactor.redact_str("x sk-upstream-7f3a"), "x [redacted]");
        assert!(matches!(redactor.redact_str("nothing"), Cow::Borrowed(_)));
    }
}
