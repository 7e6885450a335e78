//! The SEP-12 JSON shapes, converted by hand from the core integration types (the trait API and
//! the wire format are two separate compatibility promises).

use std::collections::BTreeMap;

use anchor_core::integrations::customer::{
    CustomerStatus, FieldRequirement, FieldStatus, OptionalField, ProvidedField, Sep9Field,
};
use serde::Serialize;

/// The body of `GET /customer` (and of status callbacks).
#[derive(Debug, Serialize)]
pub struct CustomerBody {
    /// The customer's id, once created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `ACCEPTED`, `PROCESSING`, `NEEDS_INFO` or `REJECTED`.
    pub status: &'static str,
    /// Human text; always present for `REJECTED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Fields still needed (required for `NEEDS_INFO`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<&'static str, FieldBody>,
    /// Fields received.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub provided_fields: BTreeMap<&'static str, ProvidedFieldBody>,
}

/// An entry of `fields`.
#[derive(Debug, Serialize)]
pub struct FieldBody {
    /// `string`, `binary`, `number` or `date`, from the SEP-9 catalogue.
    #[serde(rename = "type")]
    pub field_type: &'static str,
    /// Human description.
    pub description: String,
    /// Allowed values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    /// Present (and true) only for optional fields.
    #[serde(skip_serializing_if = "is_false")]
    pub optional: bool,
}

/// An entry of `provided_fields`.
#[derive(Debug, Serialize)]
pub struct ProvidedFieldBody {
    /// Wire type.
    #[serde(rename = "type")]
    pub field_type: &'static str,
    /// Human description.
    pub description: String,
    /// Present (and true) only for optional fields.
    #[serde(skip_serializing_if = "is_false")]
    pub optional: bool,
    /// `ACCEPTED`, `PROCESSING`, `REJECTED` or `VERIFICATION_REQUIRED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Why the field was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn is_false(flag: &bool) -> bool {
    !*flag
}

fn choices(field: Sep9Field, given: &[String]) -> Vec<String> {
    if given.is_empty() {
        field.choices().iter().map(|c| c.to_string()).collect()
    } else {
        given.to_vec()
    }
}

fn requirement(requirement: &FieldRequirement) -> (&'static str, FieldBody) {
    (
        requirement.field.name(),
        FieldBody {
            field_type: requirement.field.field_type().as_str(),
            description: requirement.description.clone(),
            choices: choices(requirement.field, &requirement.choices),
            optional: requirement.optional,
        },
    )
}

fn optional(field: &OptionalField) -> (&'static str, FieldBody) {
    (
        field.field.name(),
        FieldBody {
            field_type: field.field.field_type().as_str(),
            description: field.description.clone(),
            choices: choices(field.field, &field.choices),
            optional: true,
        },
    )
}

fn provided(fields: &[ProvidedField]) -> BTreeMap<&'static str, ProvidedFieldBody> {
    fields
        .iter()
        .map(|provided| {
            let (status, error) = match &provided.status {
                None => (None, None),
                Some(FieldStatus::Accepted) => (Some("ACCEPTED"), None),
                Some(FieldStatus::Processing) => (Some("PROCESSING"), None),
                Some(FieldStatus::VerificationRequired) => (Some("VERIFICATION_REQUIRED"), None),
                Some(FieldStatus::Rejected { error }) => (Some("REJECTED"), Some(error.clone())),
            };
            (
                provided.field.name(),
                ProvidedFieldBody {
                    field_type: provided.field.field_type().as_str(),
                    description: provided.description.clone(),
                    optional: provided.optional,
                    status,
                    error,
                },
            )
        })
        .collect()
}

impl From<&CustomerStatus> for CustomerBody {
    fn from(status: &CustomerStatus) -> Self {
        let id = status.id().map(|id| id.0.clone());
        let name = status.name();
        match status {
            CustomerStatus::Accepted { optional_fields, provided_fields, .. } => CustomerBody {
                id,
                status: name,
                message: None,
                fields: optional_fields.iter().map(optional).collect(),
                provided_fields: provided(provided_fields),
            },
            CustomerStatus::Processing { message, provided_fields, .. } => CustomerBody {
                id,
                status: name,
                message: message.clone(),
                fields: BTreeMap::new(),
                provided_fields: provided(provided_fields),
            },
            CustomerStatus::NeedsInfo { fields, provided_fields, .. } => CustomerBody {
                id,
                status: name,
                message: None,
                fields: fields.iter().map(requirement).collect(),
                provided_fields: provided(provided_fields),
            },
            CustomerStatus::Rejected { message, provided_fields, .. } => CustomerBody {
                id,
                status: name,
                message: Some(message.as_str().to_string()),
                fields: BTreeMap::new(),
                provided_fields: provided(provided_fields),
            },
            // `CustomerStatus` is non-exhaustive for implementors' sake; every variant is above.
            _ => CustomerBody {
                id,
                status: name,
                message: None,
                fields: BTreeMap::new(),
                provided_fields: BTreeMap::new(),
            },
        }
    }
}

/// `{"id": "…"}` of `PUT /customer`.
#[derive(Debug, Serialize)]
pub struct IdBody {
    /// The customer's id.
    pub id: String,
}

/// A file object of the files API.
#[derive(Debug, Serialize)]
pub struct FileBody {
    /// The file's id.
    pub file_id: String,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// When an unreferenced file is discarded (UTC, ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The customer referencing it (`null` before any).
    pub customer_id: Option<String>,
}

/// `{"files": […]}` of `GET /customer/files`.
#[derive(Debug, Serialize)]
pub struct FilesBody {
    /// The caller's matching files.
    pub files: Vec<FileBody>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "in tests a panic is the failure report")]
    use anchor_core::integrations::customer::{CustomerId, NonEmpty, NonEmptyMessage, ProvidedField};

    use super::*;

    #[test]
    fn statuses_serialise_as_sep12_says() {
        let needs_info = CustomerStatus::NeedsInfo {
            id: None,
            fields: NonEmpty::from_vec(vec![
                FieldRequirement::required(Sep9Field::BirthDate, "Date of birth"),
                FieldRequirement::optional(Sep9Field::Sex, "Sex"),
            ])
            .unwrap(),
            provided_fields: Vec::new(),
        };
        let json = serde_json::to_value(CustomerBody::from(&needs_info)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "status": "NEEDS_INFO",
                "fields": {
                    "birth_date": {"type": "date", "description": "Date of birth"},
                    "sex": {"type": "string", "description": "Sex", "optional": true,
                            "choices": ["male", "female", "other"]}
                }
            })
        );
        let rejected = CustomerStatus::Rejected {
            id: CustomerId("c1".into()),
            message: NonEmptyMessage::new("document unreadable").unwrap(),
            provided_fields: vec![ProvidedField::new(
                Sep9Field::PhotoIdFront,
                "Photo ID",
                FieldStatus::Rejected { error: "blurred".into() },
            )],
        };
        let json = serde_json::to_value(CustomerBody::from(&rejected)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "c1",
                "status": "REJECTED",
                "message": "document unreadable",
                "provided_fields": {
                    "photo_id_front": {"type": "binary", "description": "Photo ID",
                                       "status": "REJECTED", "error": "blurred"}
                }
            })
        );
    }
}
