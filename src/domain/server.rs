use chrono::{DateTime, Utc};

use super::{ApiKey, Description, HttpHeaders, McpServerId, ServerName, ServerUrl};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportType {
    #[default]
    Http,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerStatus {
    #[default]
    Active,
    Disabled,
}

macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn from_stored(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

text_enum!(TransportType { Http => "http" });
text_enum!(ServerStatus { Active => "active", Disabled => "disabled" });

/// A valid request to register an MCP server.
#[derive(Debug, Clone)]
pub struct NewMcpServer {
    pub name: ServerName,
    pub url: ServerUrl,
    pub description: Option<Description>,
    pub transport_type: TransportType,
    pub api_key: Option<ApiKey>,
    pub headers: HttpHeaders,
}

/// A registered MCP server, as the registry knows it.
#[derive(Debug, Clone)]
pub struct McpServerRecord {
    pub id: McpServerId,
    pub name: ServerName,
    pub url: ServerUrl,
    pub description: Option<Description>,
    pub transport_type: TransportType,
    pub status: ServerStatus,
    pub api_key: Option<ApiKey>,
    pub headers: HttpHeaders,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
