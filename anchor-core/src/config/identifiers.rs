//! The identifiers settings name: a SEP of `ACTIVE_SEPS` and the database of `DATABASE_URL`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use url::Url;

use crate::sensitive::Sensitive;

/// A SEP this framework can serve, as named in `ACTIVE_SEPS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SepId {
    /// SEP-1 `stellar.toml`.
    Sep1,
    /// SEP-3 compliance protocol (`AUTH_SERVER`).
    Sep3,
    /// SEP-10 web authentication.
    Sep10,
    /// SEP-12 KYC API.
    Sep12,
}

impl SepId {
    /// Every SEP the framework knows, in `ACTIVE_SEPS` order.
    pub const ALL: [SepId; 4] = [SepId::Sep1, SepId::Sep3, SepId::Sep10, SepId::Sep12];

    /// The SEP number.
    pub fn number(self) -> u16 {
        match self {
            SepId::Sep1 => 1,
            SepId::Sep3 => 3,
            SepId::Sep10 => 10,
            SepId::Sep12 => 12,
        }
    }

    /// The canonical spelling, `sep-10`.
    pub fn name(self) -> String {
        format!("sep-{}", self.number())
    }
}

impl fmt::Display for SepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sep-{}", self.number())
    }
}

impl FromStr for SepId {
    type Err = String;

    /// Accepts the django-polaris spellings and their relatives: `sep-10`, `SEP10`, `sep_10`, `10`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let lower = input.trim().to_ascii_lowercase();
        let digits = lower.strip_prefix("sep").unwrap_or(&lower);
        let digits = digits.trim_start_matches(['-', '_', ' ']);
        let supported = || SepId::ALL.iter().map(|sep| sep.name()).collect::<Vec<_>>().join(", ");
        match digits.parse::<u16>() {
            Ok(number) => SepId::ALL.into_iter().find(|sep| sep.number() == number).ok_or_else(|| {
                format!("`{input}` is not a SEP this framework serves (supported: {})", supported())
            }),
            Err(_) => Err(format!(
                "`{input}` is not a SEP name; write entries like `sep-10` (supported: {})",
                supported()
            )),
        }
    }
}

/// Where the database lives, chosen by the scheme of `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseUrl {
    /// An SQLite file (`sqlite://PATH` or a bare path), created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://…`).
    Postgres(Sensitive<String>),
    /// A MySQL or MariaDB connection URL (`mysql://…`, `mariadb://…`).
    Mysql(Sensitive<String>),
}

impl DatabaseUrl {
    /// Parses a `DATABASE_URL` value.
    pub fn parse(input: &str) -> Result<DatabaseUrl, String> {
        let input = input.trim();
        if input.is_empty() {
            return Err("is empty; use `sqlite://anchor.sqlite3`, `postgres://…` or `mysql://…`".into());
        }
        let lower = input.to_ascii_lowercase();
        if let Some(path) = input.strip_prefix("sqlite://").or_else(|| input.strip_prefix("sqlite:")) {
            if path.is_empty() {
                return Err("names no SQLite file; write `sqlite://PATH`".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(Sensitive::new(input.to_string())));
        }
        if lower.starts_with("mysql://") {
            return Ok(DatabaseUrl::Mysql(Sensitive::new(input.to_string())));
        }
        if let Some(rest) = input.get("mariadb://".len()..).filter(|_| lower.starts_with("mariadb://")) {
            return Ok(DatabaseUrl::Mysql(Sensitive::new(format!("mysql://{rest}"))));
        }
        if input.contains("://") {
            return Err("has an unsupported scheme; use `sqlite://`, `postgres://` or `mysql://`".into());
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(input)))
    }

    /// The backend's name: `sqlite`, `postgres` or `mysql` (also the cargo feature's name).
    pub fn backend(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
            DatabaseUrl::Mysql(_) => "mysql",
        }
    }

    pub(super) fn backend_compiled(&self) -> bool {
        match self {
            DatabaseUrl::Sqlite(_) => cfg!(feature = "sqlite"),
            DatabaseUrl::Postgres(_) => cfg!(feature = "postgres"),
            DatabaseUrl::Mysql(_) => cfg!(feature = "mysql"),
        }
    }
}

/// Shows the URL with any password replaced.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) | DatabaseUrl::Mysql(url) => match Url::parse(url.expose()) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("REDACTED"));
                    }
                    write!(f, "{parsed}")
                }
                Err(_) => write!(f, "{}://[unparseable]", self.backend()),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}
