//! The example store's tables (`example_customers`, `example_customer_fields`,
//! `example_customer_reviews`) through diesel. Every write is one transaction.

use anchor_core::clock::unix_now;
use anchor_core::db::{AnyConnection, DbError};
use anchor_core::integrations::customer::{CustomerRef, Sep9Field};
use diesel::prelude::*;

use super::{Review, Stored};

diesel::table! {
    example_customers (id) {
        id -> Varchar,
        account -> Varchar,
        memo -> Varchar,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    example_customer_fields (customer_id, name) {
        customer_id -> Varchar,
        name -> Varchar,
        value -> Text,
    }
}

diesel::table! {
    example_customer_reviews (customer_id, customer_type) {
        customer_id -> Varchar,
        customer_type -> Varchar,
        status -> Varchar,
        message -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

/// How a request names a customer.
pub(crate) enum Key {
    Id(String),
    Account { account: String, memo: String },
}

impl From<&CustomerRef> for Key {
    fn from(target: &CustomerRef) -> Self {
        match target {
            CustomerRef::Id(id) => Key::Id(id.0.clone()),
            CustomerRef::Account { account, memo } => Key::Account {
                account: account.clone(),
                memo: memo.as_ref().map(|memo| memo.key()).unwrap_or_default(),
            },
            // `CustomerRef` is non-exhaustive; an unknown shape names nobody.
            _ => Key::Id(String::new()),
        }
    }
}

/// Runs a transaction through core's retry (again when it lost a race: a concurrent insert of
/// the same customer, a lock or snapshot conflict, a deadlock), so concurrent requests never see
/// a 500. A database refusal that outlasts the retries answers 503 "busy".
fn retrying<T>(
    conn: &mut AnyConnection,
    work: impl FnMut(&mut AnyConnection) -> QueryResult<T>,
) -> Result<T, DbError> {
    anchor_core::db::transaction_retrying(conn, anchor_core::db::lost_a_race, work).map_err(|err| match err {
        diesel::result::Error::DatabaseError(..) => {
            DbError::Unavailable("the customer store is busy; try again".into())
        }
        other => other.into(),
    })
}

fn find_id(conn: &mut AnyConnection, key: &Key) -> QueryResult<Option<String>> {
    match key {
        Key::Id(id) => {
            example_customers::table.find(id).select(example_customers::id).first::<String>(conn).optional()
        }
        Key::Account { account, memo } => example_customers::table
            .filter(example_customers::account.eq(account))
            .filter(example_customers::memo.eq(memo))
            .select(example_customers::id)
            .first::<String>(conn)
            .optional(),
    }
}

/// The customer at `key` with its review for `customer_type`.
pub(crate) fn load(
    conn: &mut AnyConnection,
    key: &Key,
    customer_type: &str,
) -> Result<Option<Stored>, DbError> {
    let Some(id) = find_id(conn, key)? else {
        return Ok(None);
    };
    let names: Vec<String> = example_customer_fields::table
        .filter(example_customer_fields::customer_id.eq(&id))
        .select(example_customer_fields::name)
        .load(conn)?;
    let review = example_customer_reviews::table
        .find((&id, customer_type))
        .select((example_customer_reviews::status, example_customer_reviews::message))
        .first::<(String, Option<String>)>(conn)
        .optional()?
        .and_then(|(status, message)| Review::parse(&status).map(|review| (review, message)));
    Ok(Some(Stored {
        id,
        fields: names.iter().filter_map(|name| Sep9Field::from_name(name)).collect(),
        review,
    }))
}

fn new_id() -> Result<String, DbError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| DbError::Unavailable(err.to_string()))?;
    Ok(format!("cus_{}", anchor_core::hex::encode(&bytes)))
}

/// Creates or updates a customer with `values`; when every `required` field of `customer_type`
/// is present and the type is not reviewed yet (or was rejected), it enters review
/// (`PROCESSING`). Returns the id, or `None` for an unknown id.
pub(crate) fn upsert(
    conn: &mut AnyConnection,
    key: &Key,
    values: &[(String, String)],
    customer_type: &str,
    required: &[String],
) -> Result<Option<String>, DbError> {
    let new_id = new_id()?;
    let at = unix_now();
    retrying(conn, |conn| {
        let id = match find_id(conn, key)? {
            Some(id) => {
                // Writing the customer row first locks it, so concurrent updates of one customer
                // run one after the other instead of colliding on its fields.
                diesel::update(example_customers::table.find(&id))
                    .set(example_customers::updated_at.eq(at))
                    .execute(conn)?;
                id
            }
            None => match key {
                Key::Id(_) => return Ok(None),
                Key::Account { account, memo } => {
                    diesel::insert_into(example_customers::table)
                        .values((
                            example_customers::id.eq(&new_id),
                            example_customers::account.eq(account),
                            example_customers::memo.eq(memo),
                            example_customers::created_at.eq(at),
                            example_customers::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                    new_id.clone()
                }
            },
        };
        for (name, value) in values {
            diesel::delete(example_customer_fields::table.find((&id, name))).execute(conn)?;
            diesel::insert_into(example_customer_fields::table)
                .values((
                    example_customer_fields::customer_id.eq(&id),
                    example_customer_fields::name.eq(name),
                    example_customer_fields::value.eq(value),
                ))
                .execute(conn)?;
        }
        let present: Vec<String> = example_customer_fields::table
            .filter(example_customer_fields::customer_id.eq(&id))
            .select(example_customer_fields::name)
            .load(conn)?;
        let complete = required.iter().all(|name| present.contains(name));
        let review: Option<String> = example_customer_reviews::table
            .find((&id, customer_type))
            .select(example_customer_reviews::status)
            .first(conn)
            .optional()?;
        let resubmitted = review.as_deref() == Some(Review::Rejected.as_str()) && !values.is_empty();
        if complete && (review.is_none() || resubmitted) {
            diesel::delete(example_customer_reviews::table.find((&id, customer_type))).execute(conn)?;
            diesel::insert_into(example_customer_reviews::table)
                .values((
                    example_customer_reviews::customer_id.eq(&id),
                    example_customer_reviews::customer_type.eq(customer_type),
                    example_customer_reviews::status.eq(Review::Processing.as_str()),
                    example_customer_reviews::message.eq(None::<String>),
                    example_customer_reviews::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        Ok(Some(id))
    })
}

/// Erases a customer and everything stored about it. Returns whether there was one.
pub(crate) fn delete(conn: &mut AnyConnection, key: &Key) -> Result<bool, DbError> {
    retrying(conn, |conn| {
        let Some(id) = find_id(conn, key)? else {
            return Ok(false);
        };
        diesel::delete(example_customer_reviews::table.filter(example_customer_reviews::customer_id.eq(&id)))
            .execute(conn)?;
        diesel::delete(example_customer_fields::table.filter(example_customer_fields::customer_id.eq(&id)))
            .execute(conn)?;
        diesel::delete(example_customers::table.find(&id)).execute(conn)?;
        Ok(true)
    })
}

/// The outcome of a review decision.
pub(crate) enum Decided {
    /// Recorded.
    Done,
    /// No such customer.
    UnknownCustomer,
    /// The type is not awaiting review.
    NotPending(Option<String>),
}

/// Moves a `PROCESSING` review to `decision` (atomically: a second reviewer loses).
pub(crate) fn decide(
    conn: &mut AnyConnection,
    id: &str,
    customer_type: &str,
    decision: Review,
    message: Option<&str>,
) -> Result<Decided, DbError> {
    let at = unix_now();
    retrying(conn, |conn| {
        if find_id(conn, &Key::Id(id.to_string()))?.is_none() {
            return Ok(Decided::UnknownCustomer);
        }
        let changed = diesel::update(
            example_customer_reviews::table
                .filter(example_customer_reviews::customer_id.eq(id))
                .filter(example_customer_reviews::customer_type.eq(customer_type))
                .filter(example_customer_reviews::status.eq(Review::Processing.as_str())),
        )
        .set((
            example_customer_reviews::status.eq(decision.as_str()),
            example_customer_reviews::message.eq(message),
            example_customer_reviews::updated_at.eq(at),
        ))
        .execute(conn)?;
        if changed == 1 {
            return Ok(Decided::Done);
        }
        let current: Option<String> = example_customer_reviews::table
            .find((id, customer_type))
            .select(example_customer_reviews::status)
            .first(conn)
            .optional()?;
        Ok(Decided::NotPending(current))
    })
}

/// Customers waiting for review: `(id, type)`, oldest first.
pub(crate) fn pending(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, DbError> {
    Ok(example_customer_reviews::table
        .filter(example_customer_reviews::status.eq(Review::Processing.as_str()))
        .order(example_customer_reviews::updated_at.asc())
        .select((example_customer_reviews::customer_id, example_customer_reviews::customer_type))
        .load(conn)?)
}
