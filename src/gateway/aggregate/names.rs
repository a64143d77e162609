//! The names of tools and prompts on the aggregate endpoint, where every
//! server's items are served side by side.
//!
//! Every name is one LLM providers accept as a function's name (OpenAI's and
//! Anthropic's `^[a-zA-Z0-9_-]{1,64}$`, narrower than MCP's own rule), so an
//! agent can hand the list to its model as it is.
//!
//! The plain form is `{server}__{item}`. It is used when the result is such a
//! name (1 to 64 of `A-Z a-z 0-9 _ -`), the server's name holds no `__` and
//! does not end in `_`. Then the first `__` of a plain name ends the
//! server's name, so two items never share a plain name (server names are
//! unique). Any other item gets the hashed form: the server's and the item's
//! names with every other character (`_` too) turned into `-`, cut to leave
//! room, then `-` and 16 hex digits of SHA-256 over both names. A hashed name
//! holds no `_`, so it never equals a plain one; two hashed names would be
//! equal only if 64 bits of SHA-256 were, and the lookup reports that case
//! instead of guessing.

use sha2::{Digest, Sha256};

/// The longest function name LLM providers accept.
pub const MAX_NAME: usize = 64;
const SEPARATOR: &str = "__";
const HASH_HEX: usize = 16;

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

/// Whether `server` may lead a plain name.
fn plain_server(server: &str) -> bool {
    !server.is_empty()
        && server.chars().all(allowed)
        && !server.contains(SEPARATOR)
        && !server.ends_with('_')
}

/// The name `item` of the server named `server` has on the aggregate endpoint.
pub fn public_name(server: &str, item: &str) -> String {
    if plain_server(server)
        && !item.is_empty()
        && item.chars().all(allowed)
        && server.len() + SEPARATOR.len() + item.len() <= MAX_NAME
    {
        return format!("{server}{SEPARATOR}{item}");
    }
    hashed(server, item)
}

fn hashed(server: &str, item: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(server.as_bytes());
    hasher.update([0]);
    hasher.update(item.as_bytes());
    let digest: String = hasher.finalize()[..HASH_HEX / 2]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let readable: String = format!("{server}-{item}")
        .chars()
        .map(|c| if allowed(c) && c != '_' { c } else { '-' })
        .take(MAX_NAME - 1 - HASH_HEX)
        .collect();
    format!("{readable}-{digest}")
}

/// The server's and the item's names a plain name stands for, if it is one
/// (the server's as written: look it up without regard to case, then check).
pub fn split_plain(name: &str) -> Option<(&str, &str)> {
    name.split_once(SEPARATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `^[a-zA-Z0-9_-]{1,64}$`, as OpenAI and Anthropic check a function's name.
    fn valid(name: &str) -> bool {
        (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    #[test]
    fn plain_names_join_server_and_item_and_split_back() {
        assert_eq!(
            public_name("weather", "get_forecast"),
            "weather__get_forecast"
        );
        assert_eq!(
            split_plain("weather__get_forecast"),
            Some(("weather", "get_forecast"))
        );
        // The item may hold `__` itself: the first one ends the server's name.
        assert_eq!(split_plain("a__b__c"), Some(("a", "b__c")));
    }

    #[test]
    fn names_that_would_be_ambiguous_invalid_or_too_long_are_hashed() {
        let cases = [
            ("a_", "_b"),                // would read as a / __b
            ("a", "__b"),                // plain, for contrast below
            ("my server", "echo"),       // space in the server's name
            ("x__y", "echo"),            // `__` in the server's name
            ("tools", "say hello!"),     // characters MCP forbids
            ("tools", &"t".repeat(200)), // too long
            ("ünïcode", "echo"),
            ("io.github.acme", "echo"),   // a reverse-DNS name: dots
            ("weather", &"t".repeat(56)), // 65 characters plain
        ];
        let names: Vec<String> = cases.iter().map(|(s, i)| public_name(s, i)).collect();
        for (name, (server, item)) in names.iter().zip(cases) {
            assert!(valid(name), "{server}/{item} gives {name}");
        }
        assert_eq!(names[1], "a____b");
        assert_ne!(names[0], names[1]);
        for hashed in names.iter().filter(|n| split_plain(n).is_none()) {
            assert!(!hashed.contains('_'), "{hashed}");
        }
        assert!(names[2].starts_with("my-server-echo-"));
        assert!(names[7].starts_with("io-github-acme-echo-"), "{}", names[7]);
        let longest = public_name("weather", &"t".repeat(55));
        assert_eq!((longest.len(), split_plain(&longest).is_some()), (64, true));
        // The same item always gets the same name.
        assert_eq!(public_name("my server", "echo"), names[2]);
        assert_ne!(public_name("my server", "echo2"), names[2]);
    }
}
