//! The `Allow` header of 405 answers, read off the API's own document (plus the
//! plain routes) so it always matches what is routed.

use serde_json::Value;

pub struct AllowedMethods {
    /// Path templates split into segments (`None` for a `{param}`), and the
    /// methods allowed there, as the header lists them.
    routes: Vec<(Vec<Option<String>>, String)>,
}

impl AllowedMethods {
    pub fn new(document: &str, plain_get_routes: &[&str]) -> Self {
        let document: Value = serde_json::from_str(document).unwrap_or_default();
        let mut routes = Vec::new();
        if let Some(paths) = document["paths"].as_object() {
            for (template, operations) in paths {
                let mut methods: Vec<String> = operations
                    .as_object()
                    .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                methods.sort();
                routes.push((segments(template), methods.join(", ")));
            }
        }
        for path in plain_get_routes {
            routes.push((segments(path), "GET".to_owned()));
        }
        Self { routes }
    }

    pub fn for_path(&self, path: &str) -> Option<&str> {
        let wanted: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.routes.iter().find_map(|(template, methods)| {
            let matches = template.len() == wanted.len()
                && template
                    .iter()
                    .zip(&wanted)
                    .all(|(t, w)| t.as_deref().is_none_or(|t| t == *w));
            matches.then_some(methods.as_str())
        })
    }
}

fn segments(template: &str) -> Vec<Option<String>> {
    template
        .trim_end_matches('/')
        .split('/')
        .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths() {
        let doc = r#"{"paths": {"/v1/x": {"get": {}, "post": {}}, "/v1/x/{id}": {"delete": {}, "get": {}}}}"#;
        let allow = AllowedMethods::new(doc, &["/healthz"]);
        assert_eq!(allow.for_path("/v1/x"), Some("GET, POST"));
        assert_eq!(allow.for_path("/v1/x/abc"), Some("DELETE, GET"));
        assert_eq!(allow.for_path("/healthz"), Some("GET"));
        assert_eq!(allow.for_path("/v1/y"), None);
    }
}
