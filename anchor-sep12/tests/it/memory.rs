//! A small in-memory `CustomerIntegration` standing in for an anchor's store (the real,
//! diesel-backed one is example-anchor's). Shared by the integration tests and the benchmark.
//!
//! Types: `default` (first_name, last_name, email_address), `sep31-receiver` (also
//! bank_account_number). A customer with every required field is ACCEPTED.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use anchor_core::integrations::customer::{
    CustomerCallback, CustomerId, CustomerQuery, CustomerRef, CustomerStatus, CustomerUpdate,
    FieldRequirement, FieldStatus, NonEmpty, ProvidedField, Sep9Field, Sep9Value,
};
use anchor_core::{async_trait, CustomerIntegration, IntegrationError, Sep10Token};

#[derive(Debug, Clone, Default)]
pub(crate) struct Record {
    /// Field name → text value, or `file:<content type>:<size>` for files.
    pub fields: BTreeMap<Sep9Field, String>,
}

#[derive(Default)]
pub(crate) struct MemoryCustomers {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    by_id: HashMap<String, Record>,
    by_key: HashMap<String, String>,
}

fn key(target: &CustomerRef) -> Option<String> {
    match target {
        CustomerRef::Account { account, memo } => {
            Some(format!("{account}|{}", memo.as_ref().map(|memo| memo.key()).unwrap_or_default()))
        }
        _ => None,
    }
}

pub(crate) fn required(customer_type: Option<&str>) -> Result<Vec<Sep9Field>, IntegrationError> {
    let mut fields = vec![Sep9Field::FirstName, Sep9Field::LastName, Sep9Field::EmailAddress];
    match customer_type.unwrap_or("default") {
        "default" => {}
        "sep31-receiver" => fields.push(Sep9Field::BankAccountNumber),
        other => return Err(IntegrationError::bad_request(format!("unknown customer type `{other}`"))),
    }
    Ok(fields)
}

impl MemoryCustomers {
    pub(crate) fn record(&self, id: &str) -> Option<Record> {
        self.inner.lock().unwrap().by_id.get(id).cloned()
    }

    pub(crate) fn count(&self) -> usize {
        self.inner.lock().unwrap().by_id.len()
    }

    fn status(
        id: Option<&str>,
        record: Option<&Record>,
        customer_type: Option<&str>,
    ) -> Result<CustomerStatus, IntegrationError> {
        let required = required(customer_type)?;
        let provided: Vec<ProvidedField> = record
            .map(|record| {
                record
                    .fields
                    .keys()
                    .map(|field| ProvidedField::new(*field, field.name(), FieldStatus::Accepted))
                    .collect()
            })
            .unwrap_or_default();
        let missing: Vec<FieldRequirement> = required
            .into_iter()
            .filter(|field| record.is_none_or(|record| !record.fields.contains_key(field)))
            .map(|field| FieldRequirement::required(field, format!("your {}", field.name())))
            .collect();
        Ok(match (id, NonEmpty::from_vec(missing)) {
            (id, Some(fields)) => CustomerStatus::NeedsInfo {
                id: id.map(|id| CustomerId(id.to_string())),
                fields,
                provided_fields: provided,
            },
            (Some(id), None) => CustomerStatus::Accepted {
                id: CustomerId(id.to_string()),
                optional_fields: Vec::new(),
                provided_fields: provided,
            },
            (None, None) => return Err(IntegrationError::internal("complete customer without id")),
        })
    }
}

#[async_trait]
impl CustomerIntegration for MemoryCustomers {
    async fn get(
        &self,
        _token: &Sep10Token,
        query: CustomerQuery,
    ) -> Result<CustomerStatus, IntegrationError> {
        let inner = self.inner.lock().unwrap();
        let id = match &query.target {
            CustomerRef::Id(id) => {
                if !inner.by_id.contains_key(&id.0) {
                    return Err(IntegrationError::not_found("customer not found"));
                }
                Some(id.0.clone())
            }
            target => key(target).and_then(|key| inner.by_key.get(&key).cloned()),
        };
        let record = id.as_ref().and_then(|id| inner.by_id.get(id));
        Self::status(id.as_deref(), record, query.customer_type.as_deref())
    }

    async fn put(&self, _token: &Sep10Token, update: CustomerUpdate) -> Result<CustomerId, IntegrationError> {
        required(update.customer_type.as_deref())?;
        if !update.verifications.is_empty() {
            return Err(IntegrationError::bad_request("no field of this customer awaits verification"));
        }
        let mut inner = self.inner.lock().unwrap();
        let id = match &update.target {
            CustomerRef::Id(id) => {
                if !inner.by_id.contains_key(&id.0) {
                    return Err(IntegrationError::not_found("customer not found"));
                }
                id.0.clone()
            }
            target => {
                let key = key(target).ok_or_else(|| IntegrationError::internal("bad target"))?;
                match inner.by_key.get(&key) {
                    Some(id) => id.clone(),
                    None => {
                        inner.next += 1;
                        let id = format!("cust-{}", inner.next);
                        inner.by_key.insert(key, id.clone());
                        inner.by_id.insert(id.clone(), Record { fields: BTreeMap::new() });
                        id
                    }
                }
            }
        };
        let record = inner.by_id.get_mut(&id).ok_or_else(|| IntegrationError::internal("lost record"))?;
        for (field, value) in update.fields.iter() {
            let text = match value {
                Sep9Value::Text(text) => text.expose().clone(),
                Sep9Value::File(file) => {
                    format!("file:{}:{}", file.content_type, file.bytes.expose().len())
                }
                _ => continue,
            };
            record.fields.insert(field, text);
        }
        Ok(CustomerId(id))
    }

    async fn delete(&self, _token: &Sep10Token, target: CustomerRef) -> Result<(), IntegrationError> {
        let mut inner = self.inner.lock().unwrap();
        let key = key(&target).ok_or_else(|| IntegrationError::internal("bad target"))?;
        let id = inner
            .by_key
            .remove(&key)
            .ok_or_else(|| IntegrationError::not_found("no customer stored for this account"))?;
        inner.by_id.remove(&id);
        Ok(())
    }

    async fn put_callback(
        &self,
        _token: &Sep10Token,
        _callback: CustomerCallback,
    ) -> Result<(), IntegrationError> {
        Ok(())
    }
}
