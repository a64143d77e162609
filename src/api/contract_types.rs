//! How the domain's enums and timestamps appear in the contract: the schemas
//! of every API module share them.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{
    ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
};
use serde::{Deserialize, Serialize};

use crate::domain::{McpEra, ProbeState, ServerStatus, TransportType};

/// The domain's enums as the contract shows them: strings from a fixed list,
/// for poem-openapi (schema, parameters) and for serde (bodies) alike.
macro_rules! contract_enum {
    ($ty:ty as $name:literal) => {
        impl ContractEnum for $ty {
            const TEXTS: &'static [&'static str] = Self::TEXTS;
        }

        impl Type for $ty {
            const IS_REQUIRED: bool = true;
            type RawValueType = Self;
            type RawElementValueType = Self;

            fn name() -> Cow<'static, str> {
                $name.into()
            }

            fn schema_ref() -> MetaSchemaRef {
                MetaSchemaRef::Reference($name.into())
            }

            fn register(registry: &mut Registry) {
                registry.create_schema::<Self, _>($name.into(), |_| enum_schema::<Self>());
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }

            fn raw_element_iter<'a>(
                &'a self,
            ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
                Box::new(self.as_raw_value().into_iter())
            }
        }

        impl ParseFromJSON for $ty {
            fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
                let value = value.unwrap_or_default();
                value
                    .as_str()
                    .and_then(Self::from_stored)
                    .ok_or_else(|| ParseError::expected_type(value))
            }
        }

        impl ParseFromParameter for $ty {
            fn parse_from_parameter(value: &str) -> ParseResult<Self> {
                Self::from_stored(value)
                    .ok_or_else(|| ParseError::custom("Expect a valid enumeration value."))
            }
        }

        impl ToJSON for $ty {
            fn to_json(&self) -> Option<serde_json::Value> {
                Some(self.as_str().into())
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = Cow::<'de, str>::deserialize(deserializer)?;
                Self::from_stored(&text)
                    .ok_or_else(|| serde::de::Error::unknown_variant(&text, Self::TEXTS))
            }
        }
    };
}

/// An enum of the contract: the texts of its values.
pub trait ContractEnum {
    const TEXTS: &'static [&'static str];
}

fn enum_schema<T: ContractEnum>() -> MetaSchema {
    MetaSchema {
        enum_items: T::TEXTS.iter().map(|text| (*text).into()).collect(),
        ..MetaSchema::new("string")
    }
}

contract_enum!(TransportType as "TransportType");
contract_enum!(ServerStatus as "McpServerStatus");
contract_enum!(ProbeState as "ProbeState");
contract_enum!(McpEra as "McpEra");

/// An enum written out in each property that uses it (`type: string, enum:
/// [...]`) rather than referenced: a described reference needs `allOf`, which
/// SDK generators such as openapi-python-client refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Inline<T>(pub T);

impl<T: ContractEnum + Type + ToJSON + Sync> Type for Inline<T> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        T::name()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(enum_schema::<T>()))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(
        &'a self,
    ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<T: ContractEnum + Type + ToJSON + ParseFromJSON + Sync> ParseFromJSON for Inline<T> {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        T::parse_from_json(value)
            .map(Inline)
            .map_err(ParseError::propagate)
    }
}

impl<T: ContractEnum + Type + ToJSON + Sync> ToJSON for Inline<T> {
    fn to_json(&self) -> Option<serde_json::Value> {
        self.0.to_json()
    }
}

/// Timestamps as the document's examples and earlier responses write them
/// (`+00:00`), not chrono's serde default (`Z`).
pub fn rfc3339<S: serde::Serializer>(
    time: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&time.to_rfc3339())
}
