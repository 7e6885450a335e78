//! The example anchor's customer store: a real `CustomerIntegration` on its own diesel tables
//! (`migrations/`), on SQLite, PostgreSQL or MySQL.
//!
//! - Customers are keyed by account + memo (an `M…` account carries its own id).
//! - Three customer types, each with its own required fields: `default`, `sep31-sender`,
//!   `sep31-receiver` ([`requirements`]).
//! - A customer whose required fields are all present waits in `PROCESSING` until a person
//!   reviews it through the internal API (`PUT /customers/{id}/review`, see [`review`]), which
//!   moves it to `ACCEPTED` or `REJECTED` and fires the SEP-12 status callback.

use anchor_core::integrations::customer::{
    CustomerCallback, CustomerId, CustomerQuery, CustomerRef, CustomerStatus, CustomerUpdate,
    FieldRequirement, FieldStatus, NonEmpty, NonEmptyMessage, OptionalField, ProvidedField, Sep9Field,
    Sep9Value,
};
use anchor_core::{async_trait, CustomerIntegration, Database, IntegrationError, Sep10Token};

pub(crate) mod review;
mod store;
#[cfg(test)]
mod tests;

/// The review state of one customer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Review {
    Processing,
    Accepted,
    Rejected,
}

impl Review {
    fn as_str(self) -> &'static str {
        match self {
            Review::Processing => "PROCESSING",
            Review::Accepted => "ACCEPTED",
            Review::Rejected => "REJECTED",
        }
    }

    fn parse(text: &str) -> Option<Review> {
        match text {
            "PROCESSING" => Some(Review::Processing),
            "ACCEPTED" => Some(Review::Accepted),
            "REJECTED" => Some(Review::Rejected),
            _ => None,
        }
    }
}

/// The customer types this anchor knows.
pub(crate) const TYPES: &[&str] = &["default", "sep31-sender", "sep31-receiver"];

/// `(field, description, optional)` for a customer type; `None` for an unknown type.
pub(crate) fn requirements(customer_type: &str) -> Option<Vec<(Sep9Field, &'static str, bool)>> {
    use Sep9Field as F;
    let mut fields =
        vec![(F::FirstName, "First (given) name", false), (F::LastName, "Last (family) name", false)];
    match customer_type {
        "default" => fields.extend([
            (F::EmailAddress, "Email address", false),
            (F::MobileNumber, "Mobile phone number (E.164)", true),
        ]),
        "sep31-sender" => fields.extend([
            (F::BirthDate, "Date of birth (YYYY-MM-DD)", false),
            (F::AddressCountryCode, "Country of residence (ISO 3166-1 alpha-3)", false),
            (F::PhotoIdFront, "Photo of the front of an identity document", true),
        ]),
        "sep31-receiver" => fields.extend([
            (F::BankAccountNumber, "Bank account number", false),
            (F::BankNumber, "Bank routing number", false),
            (F::Address, "Postal address", true),
        ]),
        _ => return None,
    }
    Some(fields)
}

fn type_or_default(customer_type: Option<&str>) -> Result<&str, IntegrationError> {
    let customer_type = customer_type.unwrap_or("default");
    if requirements(customer_type).is_some() {
        Ok(customer_type)
    } else {
        Err(IntegrationError::bad_request(format!(
            "unknown customer type `{customer_type}`; this anchor knows {}",
            TYPES.join(", ")
        )))
    }
}

/// What the store holds about one customer.
pub(crate) struct Stored {
    pub id: String,
    pub fields: Vec<Sep9Field>,
    pub review: Option<(Review, Option<String>)>,
}

/// The SEP-12 status of a customer (or of nobody yet) for one type.
pub(crate) fn status_of(
    stored: Option<&Stored>,
    customer_type: &str,
) -> Result<CustomerStatus, IntegrationError> {
    let requirements =
        requirements(customer_type).ok_or_else(|| IntegrationError::bad_request("unknown customer type"))?;
    let has = |field: Sep9Field| stored.is_some_and(|stored| stored.fields.contains(&field));
    let review = stored.and_then(|stored| stored.review.clone());
    let field_status = match review.as_ref().map(|(review, _)| *review) {
        Some(Review::Accepted) => Some(FieldStatus::Accepted),
        Some(Review::Processing) => Some(FieldStatus::Processing),
        _ => None,
    };
    let provided: Vec<ProvidedField> = requirements
        .iter()
        .filter(|(field, _, _)| has(*field))
        .map(|(field, description, optional)| ProvidedField {
            optional: *optional,
            ..ProvidedField::new(*field, *description, FieldStatus::Accepted)
        })
        .map(|provided| ProvidedField { status: field_status.clone(), ..provided })
        .collect();
    let missing: Vec<FieldRequirement> = requirements
        .iter()
        .filter(|(field, _, optional)| !optional && !has(*field))
        .map(|(field, description, _)| FieldRequirement::required(*field, *description))
        .collect();
    let id = stored.map(|stored| CustomerId(stored.id.clone()));
    if let Some(fields) = NonEmpty::from_vec(missing) {
        let mut fields = fields;
        for (field, description, optional) in &requirements {
            if *optional && !has(*field) {
                fields.push(FieldRequirement::optional(*field, *description));
            }
        }
        return Ok(CustomerStatus::NeedsInfo { id, fields, provided_fields: provided });
    }
    let id = id.ok_or_else(|| IntegrationError::internal("complete customer without an id"))?;
    Ok(match review {
        Some((Review::Accepted, _)) => CustomerStatus::Accepted {
            id,
            optional_fields: requirements
                .iter()
                .filter(|(field, _, optional)| *optional && !has(*field))
                .map(|(field, description, _)| OptionalField {
                    field: *field,
                    description: description.to_string(),
                    choices: Vec::new(),
                })
                .collect(),
            provided_fields: provided,
        },
        Some((Review::Rejected, message)) => CustomerStatus::Rejected {
            id,
            message: message
                .and_then(NonEmptyMessage::new)
                .or_else(|| NonEmptyMessage::new("Your information could not be verified."))
                .ok_or_else(|| IntegrationError::internal("empty rejection message"))?,
            provided_fields: provided,
        },
        _ => CustomerStatus::Processing {
            id,
            message: Some("Your information is being reviewed.".into()),
            provided_fields: provided,
        },
    })
}

/// Database failures: a busy or unreachable store is a 503 the client may retry; anything else
/// a 500 (the cause goes to the log, never to the client).
fn db_error(err: anchor_core::db::DbError) -> IntegrationError {
    match err {
        anchor_core::db::DbError::Unavailable(_) => {
            IntegrationError::Unavailable("the customer store is busy; try again".into())
        }
        other => IntegrationError::internal(other),
    }
}

/// The example anchor's `CustomerIntegration`.
#[derive(Debug, Clone)]
pub(crate) struct ExampleCustomers {
    database: Database,
}

impl ExampleCustomers {
    /// A store on the anchor's database (its tables come from `example-anchor/migrations`).
    pub(crate) fn new(database: Database) -> Self {
        ExampleCustomers { database }
    }

    async fn load(
        &self,
        target: CustomerRef,
        customer_type: String,
    ) -> Result<Option<Stored>, IntegrationError> {
        self.database
            .run(move |conn| store::load(conn, &store::Key::from(&target), &customer_type))
            .await
            .map_err(db_error)
    }
}

#[async_trait]
impl CustomerIntegration for ExampleCustomers {
    async fn get(
        &self,
        _token: &Sep10Token,
        query: CustomerQuery,
    ) -> Result<CustomerStatus, IntegrationError> {
        let customer_type = type_or_default(query.customer_type.as_deref())?.to_string();
        let by_id = matches!(query.target, CustomerRef::Id(_));
        let stored = self.load(query.target, customer_type.clone()).await?;
        if by_id && stored.is_none() {
            return Err(IntegrationError::not_found("customer not found"));
        }
        status_of(stored.as_ref(), &customer_type)
    }

    async fn put(&self, _token: &Sep10Token, update: CustomerUpdate) -> Result<CustomerId, IntegrationError> {
        let customer_type = type_or_default(update.customer_type.as_deref())?.to_string();
        if let Some(field) = update.verifications.keys().next() {
            return Err(IntegrationError::bad_request(format!(
                "`{field}_verification`: this anchor does not ask for verification codes"
            )));
        }
        let values: Vec<(String, String)> = update
            .fields
            .iter()
            .filter_map(|(field, value)| {
                let text = match value {
                    Sep9Value::Text(text) => text.expose().clone(),
                    Sep9Value::File(file) => {
                        format!("file:{}:{}:{}", file.file_id, file.content_type, file.bytes.expose().len())
                    }
                    _ => return None,
                };
                Some((field.name().to_string(), text))
            })
            .collect();
        let required: Vec<String> = requirements(&customer_type)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, _, optional)| !optional)
            .map(|(field, _, _)| field.name().to_string())
            .collect();
        let key = store::Key::from(&update.target);
        let id = self
            .database
            .run(move |conn| store::upsert(conn, &key, &values, &customer_type, &required))
            .await
            .map_err(db_error)?;
        id.map(CustomerId).ok_or_else(|| IntegrationError::not_found("customer not found"))
    }

    async fn delete(&self, _token: &Sep10Token, target: CustomerRef) -> Result<(), IntegrationError> {
        let key = store::Key::from(&target);
        let deleted = self.database.run(move |conn| store::delete(conn, &key)).await.map_err(db_error)?;
        if deleted {
            Ok(())
        } else {
            Err(IntegrationError::not_found("no customer stored for this account"))
        }
    }

    async fn put_callback(
        &self,
        _token: &Sep10Token,
        _callback: CustomerCallback,
    ) -> Result<(), IntegrationError> {
        // Callbacks are stored and delivered by the framework; this anchor accepts them all.
        Ok(())
    }
}
