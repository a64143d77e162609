//! RFC 6570 URI templates, read the other way: whether a URI could have been
//! made from a template. `/mcp` offers every server's resource templates
//! as they are, and finds the server an agent's URI belongs to by the
//! template it matches.

use regex::Regex;

/// A resource template, ready to match URIs.
#[derive(Debug, Clone)]
pub struct UriTemplate {
    pattern: Regex,
}

impl UriTemplate {
    /// `None` for a template that is not one (an unclosed or empty
    /// expression).
    pub fn parse(template: &str) -> Option<Self> {
        let mut pattern = String::from("^");
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            pattern.push_str(&regex::escape(&rest[..open]));
            let close = open + rest[open..].find('}')?;
            let expression = &rest[open + 1..close];
            pattern.push_str(expansion(expression.chars().next()?));
            rest = &rest[close + 1..];
        }
        if rest.contains('}') {
            return None;
        }
        pattern.push_str(&regex::escape(rest));
        pattern.push('$');
        Regex::new(&pattern).ok().map(|pattern| Self { pattern })
    }

    pub fn matches(&self, uri: &str) -> bool {
        self.pattern.is_match(uri)
    }
}

/// What an expression may expand to, by its operator (RFC 6570 §3.2).
fn expansion(operator: char) -> &'static str {
    match operator {
        // Reserved expansion keeps `/` and `?`.
        '+' => "[^#]*",
        '#' => "(?:#.*)?",
        '.' => r"(?:\.[^/?#]*)*",
        '/' => "(?:/[^/?#]*)*",
        ';' => "(?:;[^/?#]*)*",
        '?' => r"(?:\?[^#]*)?",
        '&' => "(?:&[^#]*)?",
        // Simple expansion encodes everything reserved.
        _ => "[^/?#]*",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(template: &str, uri: &str) -> bool {
        UriTemplate::parse(template).unwrap().matches(uri)
    }

    #[test]
    fn uris_match_the_templates_they_could_be_made_from() {
        assert!(matches("greeting://{name}", "greeting://Ada"));
        assert!(!matches("greeting://{name}", "greeting://Ada/more"));
        assert!(!matches("greeting://{name}", "farewell://Ada"));
        assert!(matches("file:///{+path}", "file:///etc/hosts"));
        assert!(matches("repo://{owner}/{repo}", "repo://acme/widgets"));
        assert!(!matches("repo://{owner}/{repo}", "repo://acme"));
        assert!(matches(
            "search://items{?q,limit}",
            "search://items?q=x&limit=2"
        ));
        assert!(matches("search://items{?q,limit}", "search://items"));
        assert!(matches("map://{x}.{y}", "map://1.2"));
        // Literal parts are literal, not patterns.
        assert!(!matches("a.b://{x}", "aXb://1"));
    }

    #[test]
    fn broken_templates_are_not_templates() {
        for broken in ["x://{name", "x://name}", "x://{}"] {
            assert!(UriTemplate::parse(broken).is_none(), "{broken}");
        }
    }
}
