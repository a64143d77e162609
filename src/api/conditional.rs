//! ETags and the conditional headers that use them. A record's ETag is its
//! version, kept in the database and bumped by every update.

use crate::domain::VersionCondition;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Reads `If-Match` (strong comparison): `*`, or a list of ETags. Tags this
/// server did not issue can never match.
pub fn if_match(header: &str) -> VersionCondition {
    if header.trim() == "*" {
        return VersionCondition::Any;
    }
    VersionCondition::OneOf(
        header
            .split(',')
            .filter_map(|tag| strong_version(tag.trim()))
            .collect(),
    )
}

/// Whether `If-None-Match` (weak comparison) names the current version.
pub fn none_match_names(header: &str, version: i64) -> bool {
    header.split(',').map(str::trim).any(|tag| {
        tag == "*" || strong_version(tag.strip_prefix("W/").unwrap_or(tag)) == Some(version)
    })
}

fn strong_version(tag: &str) -> Option<i64> {
    tag.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_takes_lists_and_star_and_ignores_weak_tags() {
        assert_eq!(if_match("*"), VersionCondition::Any);
        assert_eq!(
            if_match("\"3\", \"5\""),
            VersionCondition::OneOf(vec![3, 5])
        );
        assert!(!if_match("W/\"3\"").holds_for(3));
    }

    #[test]
    fn if_none_match_compares_weakly() {
        assert!(none_match_names("W/\"2\"", 2));
        assert!(none_match_names("\"1\", \"2\"", 2));
        assert!(none_match_names("*", 9));
        assert!(!none_match_names("\"1\"", 2));
    }
}
