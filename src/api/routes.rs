//! The routes, read off the API's own document (plus the plain routes) so they
//! always match what is routed: for the `Allow` header of 405 answers, and the
//! route label of metrics.

use serde_json::Value;

pub struct RouteTable {
    /// Path templates split into segments (`None` for a `{param}`), and the
    /// methods allowed there, as the header lists them.
    routes: Vec<(Vec<Option<String>>, String)>,
}

impl RouteTable {
    pub fn new(document: &str, plain_routes: &[(&str, &str)]) -> Self {
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
        for (path, methods) in plain_routes {
            routes.push((segments(path), (*methods).to_owned()));
        }
        Self { routes }
    }

    /// The methods allowed on `path`, as the `Allow` header lists them.
    pub fn methods_for(&self, path: &str) -> Option<&str> {
        self.find(path).map(|(_, methods)| methods.as_str())
    }

    /// The template `path` matches (`/v1/mcp-servers/{id}`), or "unmatched".
    pub fn template_for(&self, path: &str) -> String {
        match self.find(path) {
            None => "unmatched".to_owned(),
            Some((template, _)) => template
                .iter()
                .map(|segment| segment.as_deref().unwrap_or("{id}"))
                .collect::<Vec<_>>()
                .join("/"),
        }
    }

    fn find(&self, path: &str) -> Option<&(Vec<Option<String>>, String)> {
        let wanted: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.routes.iter().find(|(template, _)| {
            template.len() == wanted.len()
                && template
                    .iter()
                    .zip(&wanted)
                    .all(|(t, w)| t.as_deref().is_none_or(|t| t == *w))
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
        let allow = RouteTable::new(doc, &[("/healthz", "GET"), ("/v1/x/{id}/mcp", "GET, POST")]);
        assert_eq!(allow.methods_for("/v1/x"), Some("GET, POST"));
        assert_eq!(allow.methods_for("/v1/x/abc"), Some("DELETE, GET"));
        assert_eq!(allow.template_for("/v1/x/abc"), "/v1/x/{id}");
        assert_eq!(allow.methods_for("/healthz"), Some("GET"));
        assert_eq!(allow.methods_for("/v1/x/abc/mcp"), Some("GET, POST"));
        assert_eq!(allow.template_for("/v1/x/abc/mcp"), "/v1/x/{id}/mcp");
        assert_eq!(allow.methods_for("/v1/y"), None);
        assert_eq!(allow.template_for("/v1/y"), "unmatched");
    }
}
