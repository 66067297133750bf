//! `gatehouse db copy`: every Gatehouse table of one database copied into another — the way an
//! install moves off its SQLite file onto PostgreSQL (any engine to any other this build has a
//! driver for).
//!
//! Nothing here names a table or a column. The tables, their columns with their types, and the
//! foreign keys that order them are read from both databases' catalogues once both are migrated
//! (by [`Store::open`]): a table or column a migration adds is copied without a change here, and
//! one that exists on one side only stops the copy before anything is written.
//!
//! Each value is converted to the type of its column in the target:
//! - integers ↔ `bigint`, `integer`, `smallint` (range-checked), SQLite's `0`/`1` ↔ `boolean`;
//! - BLOB ↔ `bytea`;
//! - JSON text ↔ `jsonb` (checked to be JSON on the way in);
//! - a list of texts (`text[]`) ↔ one line each in a SQLite TEXT column, as the SQLite store
//!   writes it;
//! - a PostgreSQL identity column (`seq`: the insertion order SQLite keeps in its implicit
//!   rowid) is filled from the SQLite rowid, its sequence moved past the copied values; copied
//!   to SQLite, the rows are inserted in its order instead.
//!
//! The copy refuses a target holding any row in any Gatehouse table, naming the tables. It reads
//! the source in one snapshot and writes the target in one transaction that locks its tables
//! (all or nothing), parents before children, ids and insertion order kept. Before that
//! transaction commits, every table's rows are counted on both sides: a difference rolls it back.

use std::collections::{BTreeMap, BTreeSet};

use super::{redact_url, Engine, Store};

/// Bound parameters per `INSERT` (SQLite allows 32 766, PostgreSQL 65 535).
const PARAMETERS_PER_INSERT: usize = 8_000;

/// Rows per `INSERT` at most.
const ROWS_PER_INSERT: usize = 500;

/// One table's rows, counted on both sides once copied (before the copy commits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCount {
    /// The table.
    pub table: String,
    /// Its rows in the source.
    pub source: u64,
    /// Its rows in the target.
    pub target: u64,
}

/// What a copy did: every table in the order it was copied (parents first), with its rows
/// counted on both sides. A copy that returns it has committed, every count matching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyReport {
    /// The tables, in copy order.
    pub tables: Vec<TableCount>,
}

impl CopyReport {
    /// The rows copied, over all tables.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|table| table.target).sum()
    }
}

/// Opens the database `from` names (which must exist: a SQLite file is not created) and the one
/// `to` names (created when it is a SQLite file), migrates both, and copies every Gatehouse table
/// of the first into the second, which must be empty (see [`copy`]).
pub async fn copy_between(from: &str, to: &str) -> Result<CopyReport, String> {
    let source_engine = Engine::of_url(from).map_err(|e| format!("--from: {e}"))?;
    Engine::of_url(to).map_err(|e| format!("--to: {e}"))?;
    if from == to || same_sqlite_file(from, to) {
        return Err(format!(
            "--from and --to name the same database ({})",
            redact_url(from)
        ));
    }
    if source_engine == Engine::Sqlite {
        #[cfg(feature = "sqlite")]
        if let Some(path) = super::sqlite::sqlite_file(from) {
            if !path.is_file() {
                return Err(format!("--from: no SQLite database at {}", path.display()));
            }
        }
    }
    let source = Store::open(from)
        .await
        .map_err(|e| format!("--from: {e}"))?;
    let target = Store::open(to).await.map_err(|e| format!("--to: {e}"))?;
    copy(&source, &target).await
}

/// Whether two `sqlite:` URLs name one file.
fn same_sqlite_file(a: &str, b: &str) -> bool {
    #[cfg(feature = "sqlite")]
    if let (Some(a), Some(b)) = (super::sqlite::sqlite_file(a), super::sqlite::sqlite_file(b)) {
        return match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        };
    }
    let _ = (a, b);
    false
}

/// Copies every Gatehouse table of `from` into `to`, both migrated to this build's schema.
///
/// Refuses (writing nothing) when `to` holds any row in any Gatehouse table, when the two
/// schemas differ, or when a value does not fit its target column; otherwise copies in one
/// transaction on `to`, parents before children, and commits only when every table has as many
/// rows in `to` as in `from`.
pub async fn copy(from: &Store, to: &Store) -> Result<CopyReport, String> {
    let source_catalogue = catalogue(from).await?;
    let target_catalogue = catalogue(to).await?;
    let plans = plan(&source_catalogue, &target_catalogue)?;

    let mut reader = Reader::begin(from).await?;
    let mut writer = Writer::begin(to, &plans).await?;

    let mut not_empty = Vec::new();
    for table in &plans {
        let rows = writer.count(&table.name).await?;
        if rows > 0 {
            not_empty.push(format!("{} ({})", table.name, rows_text(rows)));
        }
    }
    if !not_empty.is_empty() {
        return Err(format!(
            "--to: the target already holds Gatehouse data: {}. db copy writes only into a \
             database without any (was a server started on it?); nothing was written",
            not_empty.join(", ")
        ));
    }

    let mut copied = Vec::with_capacity(plans.len());
    for table in &plans {
        copied.push(copy_table(&mut reader, &mut writer, table).await?);
    }

    let mut tables = Vec::with_capacity(plans.len());
    let mut differences = Vec::new();
    for (table, copied) in plans.iter().zip(copied) {
        let source = reader.count(&table.name).await?;
        let target = writer.count(&table.name).await?;
        if source != target || copied != target {
            differences.push(format!(
                "{}: {source} in the source, {target} in the target ({copied} copied)",
                table.name
            ));
        }
        tables.push(TableCount {
            table: table.name.clone(),
            source,
            target,
        });
    }
    if !differences.is_empty() {
        return Err(format!(
            "the row counts differ, so the copy was rolled back and nothing was written: {}",
            differences.join("; ")
        ));
    }
    writer.commit().await?;
    reader.finish().await;
    Ok(CopyReport { tables })
}

fn rows_text(rows: u64) -> String {
    if rows == 1 {
        "1 row".to_string()
    } else {
        format!("{rows} rows")
    }
}

/// Streams one table from `reader` into `writer`; returns the rows copied.
async fn copy_table(
    reader: &mut Reader,
    writer: &mut Writer,
    table: &TablePlan,
) -> Result<u64, String> {
    let select = reader.select_sql(table);
    let insert_rows =
        (PARAMETERS_PER_INSERT / table.columns.len().max(1)).clamp(1, ROWS_PER_INSERT);
    let mut rows = reader.rows(&select, table);
    let mut batch = Vec::with_capacity(insert_rows);
    let mut copied = 0u64;
    while let Some(row) = rows.next().await? {
        batch.push(convert_row(table, row, copied)?);
        copied += 1;
        if batch.len() == insert_rows {
            writer.insert(table, std::mem::take(&mut batch)).await?;
        }
    }
    drop(rows);
    if !batch.is_empty() {
        writer.insert(table, batch).await?;
    }
    writer.after_table(table).await?;
    Ok(copied)
}

/// A column's type, as far as the copy cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bool,
    Int16,
    Int32,
    Int64,
    Text,
    Json,
    Bytes,
    TextList,
}

/// One value on its way from the source to the target.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
    TextList(Vec<String>),
}

impl Value {
    fn describe(&self) -> String {
        match self {
            Self::Null => "NULL".to_string(),
            Self::Bool(value) => format!("the boolean {value}"),
            Self::Int(value) => format!("the integer {value}"),
            Self::Real(value) => format!("the real number {value}"),
            Self::Text(_) => "a text".to_string(),
            Self::Bytes(_) => "a blob".to_string(),
            Self::TextList(_) => "a list of texts".to_string(),
        }
    }
}

/// `value` as a value of a `kind` column.
fn convert(value: Value, kind: Kind) -> Result<Value, String> {
    let refused = |value: &Value| {
        Err(format!(
            "{} does not fit a {kind:?} column",
            value.describe()
        ))
    };
    match (kind, value) {
        (_, Value::Null) => Ok(Value::Null),
        (Kind::Bool, Value::Bool(value)) => Ok(Value::Bool(value)),
        (Kind::Bool, Value::Int(0)) => Ok(Value::Bool(false)),
        (Kind::Bool, Value::Int(1)) => Ok(Value::Bool(true)),
        (Kind::Int16 | Kind::Int32 | Kind::Int64, Value::Bool(value)) => {
            Ok(Value::Int(i64::from(value)))
        }
        (Kind::Int16, Value::Int(value)) if i16::try_from(value).is_ok() => Ok(Value::Int(value)),
        (Kind::Int32, Value::Int(value)) if i32::try_from(value).is_ok() => Ok(Value::Int(value)),
        (Kind::Int64, Value::Int(value)) => Ok(Value::Int(value)),
        (Kind::Text, Value::Text(text)) => Ok(Value::Text(text)),
        (Kind::Text, Value::TextList(list)) => {
            if list.iter().any(|item| item.contains(['\n', '\r'])) {
                return Err("a list item holds a line break, so it cannot be one line".to_string());
            }
            Ok(Value::Text(list.join("\n")))
        }
        (Kind::Json, Value::Text(text)) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(_) => Ok(Value::Text(text)),
            Err(error) => Err(format!("the text is not JSON ({error})")),
        },
        (Kind::Bytes, Value::Bytes(bytes)) => Ok(Value::Bytes(bytes)),
        (Kind::TextList, Value::TextList(list)) => Ok(Value::TextList(list)),
        (Kind::TextList, Value::Text(text)) => {
            Ok(Value::TextList(text.lines().map(str::to_string).collect()))
        }
        (_, value) => refused(&value),
    }
}

/// A source row as the target's columns take it.
fn convert_row(table: &TablePlan, row: Vec<Value>, index: u64) -> Result<Vec<Value>, String> {
    if row.len() != table.columns.len() {
        return Err(format!(
            "{}: the source gave {} values for {} columns",
            table.name,
            row.len(),
            table.columns.len()
        ));
    }
    let mut converted: Vec<Value> = Vec::with_capacity(row.len());
    for (value, column) in row.into_iter().zip(&table.columns) {
        match convert(value, column.target) {
            Ok(value) => converted.push(value),
            Err(problem) => {
                // Every table's first column is its key (or the key's first part).
                let row = match converted.first() {
                    Some(Value::Text(id)) => format!("the row {id:?}"),
                    _ => format!("row {}", index + 1),
                };
                return Err(format!(
                    "{}.{}, {row}: {problem}; nothing was written",
                    table.name, column.name
                ));
            }
        }
    }
    Ok(converted)
}

/// A column as a catalogue describes it.
#[derive(Clone, Debug)]
struct Column {
    name: String,
    kind: Kind,
    /// A PostgreSQL identity column (generated from a sequence).
    identity: bool,
}

/// What the copy needs to know about one database's schema.
#[derive(Debug)]
struct Catalogue {
    engine: Engine,
    /// Table → its columns, in their order.
    tables: BTreeMap<String, Vec<Column>>,
    /// (child, parent) for every foreign key.
    foreign_keys: Vec<(String, String)>,
}

/// Where a target column's values come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// The source column of the same name, of this type.
    Column(Kind),
    /// SQLite's rowid (for an identity column SQLite has no column for).
    RowId,
}

/// One column written to the target.
#[derive(Clone, Debug)]
struct ColumnPlan {
    name: String,
    from: Origin,
    target: Kind,
}

/// How one table is copied.
#[derive(Clone, Debug)]
struct TablePlan {
    name: String,
    columns: Vec<ColumnPlan>,
    /// The source column (or `rowid`) that orders its rows by insertion.
    source_order: Option<String>,
    /// The target's identity columns, whose sequences move past the copied values.
    target_identity: Vec<String>,
}

/// The tables to copy, parents first, each with its columns matched across both schemas.
fn plan(source: &Catalogue, target: &Catalogue) -> Result<Vec<TablePlan>, String> {
    let source_tables: BTreeSet<&String> = source.tables.keys().collect();
    let target_tables: BTreeSet<&String> = target.tables.keys().collect();
    if source_tables != target_tables {
        let list = |tables: Vec<&&String>| {
            tables
                .into_iter()
                .map(|table| table.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(format!(
            "the two databases do not have the same tables (only in the source: [{}]; only in \
             the target: [{}]): is one of them newer than this gatehouse?",
            list(source_tables.difference(&target_tables).collect()),
            list(target_tables.difference(&source_tables).collect()),
        ));
    }
    let mut plans = Vec::new();
    for name in foreign_key_order(target)? {
        let (Some(source_columns), Some(target_columns)) =
            (source.tables.get(&name), target.tables.get(&name))
        else {
            continue;
        };
        let mut columns = Vec::new();
        for column in target_columns {
            let from = match source_columns.iter().find(|c| c.name == column.name) {
                Some(source_column) => Origin::Column(source_column.kind),
                None if column.identity && source.engine == Engine::Sqlite => Origin::RowId,
                None => {
                    return Err(format!(
                        "the column {name}.{} is in the target only: is one of the databases \
                         newer than this gatehouse?",
                        column.name
                    ))
                }
            };
            columns.push(ColumnPlan {
                name: column.name.clone(),
                from,
                target: column.kind,
            });
        }
        if let Some(extra) = source_columns
            .iter()
            .find(|c| !c.identity && !target_columns.iter().any(|t| t.name == c.name))
        {
            return Err(format!(
                "the column {name}.{} is in the source only: is one of the databases newer than \
                 this gatehouse?",
                extra.name
            ));
        }
        let source_order = match source.engine {
            Engine::Sqlite => Some("rowid".to_string()),
            Engine::Postgres => source_columns
                .iter()
                .find(|c| c.identity)
                .map(|c| c.name.clone()),
        };
        plans.push(TablePlan {
            target_identity: target_columns
                .iter()
                .filter(|c| c.identity)
                .map(|c| c.name.clone())
                .collect(),
            name,
            columns,
            source_order,
        });
    }
    Ok(plans)
}

/// The target's tables, each after the tables its foreign keys point to (ties by name).
fn foreign_key_order(catalogue: &Catalogue) -> Result<Vec<String>, String> {
    let mut parents: BTreeMap<&str, BTreeSet<&str>> = catalogue
        .tables
        .keys()
        .map(|table| (table.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in &catalogue.foreign_keys {
        if child != parent && catalogue.tables.contains_key(parent) {
            if let Some(set) = parents.get_mut(child.as_str()) {
                set.insert(parent.as_str());
            }
        }
    }
    let mut order: Vec<String> = Vec::with_capacity(parents.len());
    while !parents.is_empty() {
        let ready: Vec<&str> = parents
            .iter()
            .filter(|(_, waiting_for)| waiting_for.is_empty())
            .map(|(table, _)| *table)
            .collect();
        if ready.is_empty() {
            return Err(format!(
                "the foreign keys between {} form a cycle: no order to copy them in",
                parents.keys().copied().collect::<Vec<_>>().join(", ")
            ));
        }
        for table in ready {
            parents.remove(table);
            for waiting_for in parents.values_mut() {
                waiting_for.remove(table);
            }
            order.push(table.to_string());
        }
    }
    Ok(order)
}

/// `name` quoted as an SQL identifier (both engines use double quotes).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Reads the catalogue of `store`.
async fn catalogue(store: &Store) -> Result<Catalogue, String> {
    match store {
        #[cfg(feature = "sqlite")]
        Store::Sqlite(store) => sqlite::catalogue(store.pool()).await,
        #[cfg(feature = "postgres")]
        Store::Postgres(store) => postgres::catalogue(store.pool()).await,
    }
}

/// The source, in one read snapshot.
enum Reader {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// The rows of one `SELECT` on the source, converted to values one at a time.
enum Rows<'r> {
    #[cfg(feature = "sqlite")]
    Sqlite(
        futures_core::stream::BoxStream<'r, Result<sqlx::sqlite::SqliteRow, sqlx::Error>>,
        &'r TablePlan,
    ),
    #[cfg(feature = "postgres")]
    Postgres(
        futures_core::stream::BoxStream<'r, Result<sqlx::postgres::PgRow, sqlx::Error>>,
        &'r TablePlan,
    ),
}

impl Rows<'_> {
    /// The next row, or `None` at the end.
    async fn next(&mut self) -> Result<Option<Vec<Value>>, String> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(stream, table) => match next_of(stream).await {
                Some(row) => {
                    let row = row.map_err(|e| read_error(table, &e))?;
                    sqlite::decode(&row, table).map(Some)
                }
                None => Ok(None),
            },
            #[cfg(feature = "postgres")]
            Self::Postgres(stream, table) => match next_of(stream).await {
                Some(row) => {
                    let row = row.map_err(|e| read_error(table, &e))?;
                    postgres::decode(&row, table).map(Some)
                }
                None => Ok(None),
            },
        }
    }
}

/// The next item of a stream.
async fn next_of<T>(stream: &mut futures_core::stream::BoxStream<'_, T>) -> Option<T> {
    std::future::poll_fn(|context| stream.as_mut().poll_next(context)).await
}

fn read_error(table: &TablePlan, error: &sqlx::Error) -> String {
    format!("cannot read {} from the source: {error}", table.name)
}

impl Reader {
    /// Starts a read-only snapshot of `store`.
    async fn begin(store: &Store) -> Result<Self, String> {
        let failed = |e: sqlx::Error| format!("--from: cannot start reading: {e}");
        match store {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(store) => store.pool().begin().await.map(Self::Sqlite).map_err(failed),
            #[cfg(feature = "postgres")]
            Store::Postgres(store) => store
                .pool()
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await
                .map(Self::Postgres)
                .map_err(failed),
        }
    }

    /// The `SELECT` reading `table`'s columns in insertion order.
    fn select_sql(&self, table: &TablePlan) -> String {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => sqlite::select_sql(table),
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => postgres::select_sql(table),
        }
    }

    /// The rows `select` reads, as `table`'s values.
    fn rows<'r>(&'r mut self, select: &'r str, table: &'r TablePlan) -> Rows<'r> {
        use sqlx::Executor;
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx) => Rows::Sqlite((&mut **tx).fetch(select), table),
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => Rows::Postgres((&mut **tx).fetch(select), table),
        }
    }

    /// The rows of `table` in the snapshot.
    async fn count(&mut self, table: &str) -> Result<u64, String> {
        let sql = format!("SELECT COUNT(*) FROM {}", quoted(table));
        let counted = match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx) => {
                sqlx::query_scalar::<_, i64>(&sql)
                    .fetch_one(&mut **tx)
                    .await
            }
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => {
                sqlx::query_scalar::<_, i64>(&sql)
                    .fetch_one(&mut **tx)
                    .await
            }
        };
        counted
            .map(|rows| u64::try_from(rows).unwrap_or(0))
            .map_err(|e| format!("cannot count {table} in the source: {e}"))
    }

    /// Ends the snapshot (it wrote nothing).
    async fn finish(self) {
        let _ = match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx) => tx.rollback().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => tx.rollback().await,
        };
    }
}

/// The target, in the one transaction the copy writes in.
enum Writer {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Writer {
    /// Starts the transaction, holding the target's tables against other writers until it ends:
    /// SQLite's write lock; on PostgreSQL, every table locked against writes (reads go on).
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    async fn begin(store: &Store, tables: &[TablePlan]) -> Result<Self, String> {
        let failed = |e: sqlx::Error| format!("--to: cannot start writing: {e}");
        match store {
            #[cfg(feature = "sqlite")]
            Store::Sqlite(store) => store
                .pool()
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map(Self::Sqlite)
                .map_err(failed),
            #[cfg(feature = "postgres")]
            Store::Postgres(store) => {
                let mut tx = store.pool().begin().await.map_err(failed)?;
                if !tables.is_empty() {
                    let names: Vec<String> = tables.iter().map(|t| quoted(&t.name)).collect();
                    let lock = format!("LOCK TABLE {} IN EXCLUSIVE MODE", names.join(", "));
                    sqlx::query(&lock)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| format!("--to: cannot lock the tables: {e}"))?;
                }
                Ok(Self::Postgres(tx))
            }
        }
    }

    /// The rows of `table`, as this transaction sees them.
    async fn count(&mut self, table: &str) -> Result<u64, String> {
        let sql = format!("SELECT COUNT(*) FROM {}", quoted(table));
        let counted = match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx) => {
                sqlx::query_scalar::<_, i64>(&sql)
                    .fetch_one(&mut **tx)
                    .await
            }
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => {
                sqlx::query_scalar::<_, i64>(&sql)
                    .fetch_one(&mut **tx)
                    .await
            }
        };
        counted
            .map(|rows| u64::try_from(rows).unwrap_or(0))
            .map_err(|e| format!("cannot count {table} in the target: {e}"))
    }

    /// Inserts `rows` (already converted to the target's types) into `table`.
    async fn insert(&mut self, table: &TablePlan, rows: Vec<Vec<Value>>) -> Result<(), String> {
        let written = match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx) => sqlite::insert(tx, table, rows).await,
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => postgres::insert(tx, table, rows).await,
        };
        written.map_err(|e| format!("cannot write {}: {e}; nothing was written", table.name))
    }

    /// What a table needs once its rows are in: identity sequences past the copied values.
    async fn after_table(&mut self, table: &TablePlan) -> Result<(), String> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => postgres::advance_identities(tx, table)
                .await
                .map_err(|e| format!("cannot move the sequences of {}: {e}", table.name)),
        }
    }

    /// Commits the copy.
    async fn commit(self) -> Result<(), String> {
        let committed = match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(tx) => tx.commit().await,
            #[cfg(feature = "postgres")]
            Self::Postgres(tx) => tx.commit().await,
        };
        committed.map_err(|e| {
            format!(
                "--to: the copy did not commit ({e}); run it again once the target answers (had \
                 it committed, the target now refuses a copy)"
            )
        })
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    //! The SQLite side: its catalogue from `sqlite_master` and the `pragma_…` functions, values
    //! read by their storage class (`typeof`).

    use sqlx::{sqlite::SqliteRow, Row, SqlitePool};

    use super::{quoted, Catalogue, Column, Kind, Origin, TablePlan, Value};
    use crate::store::Engine;

    /// The tables (without SQLite's own and the migrator's), their columns and foreign keys.
    pub(super) async fn catalogue(pool: &SqlitePool) -> Result<Catalogue, String> {
        let failed = |e: sqlx::Error| format!("cannot read the SQLite schema: {e}");
        let columns: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
               AND m.name != '_sqlx_migrations'
             ORDER BY m.name, p.cid",
        )
        .fetch_all(pool)
        .await
        .map_err(failed)?;
        let foreign_keys: Vec<(String, String)> = sqlx::query_as(
            "SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(pool)
        .await
        .map_err(failed)?;
        let mut catalogue = Catalogue {
            engine: Engine::Sqlite,
            tables: Default::default(),
            foreign_keys,
        };
        for (table, name, declared) in columns {
            let kind = match declared.to_ascii_uppercase().as_str() {
                "INTEGER" | "INT" | "BIGINT" => Kind::Int64,
                "TEXT" => Kind::Text,
                "BLOB" => Kind::Bytes,
                other => {
                    return Err(format!(
                        "the SQLite column {table}.{name} has the type {other:?}, which db copy \
                         does not know"
                    ))
                }
            };
            catalogue.tables.entry(table).or_default().push(Column {
                name,
                kind,
                identity: false,
            });
        }
        Ok(catalogue)
    }

    /// Each column as its storage class and its value, in rowid order.
    pub(super) fn select_sql(table: &TablePlan) -> String {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|column| match column.from {
                Origin::Column(_) => {
                    let name = quoted(&column.name);
                    format!("typeof({name}), {name}")
                }
                Origin::RowId => "'integer', rowid".to_string(),
            })
            .collect();
        format!(
            "SELECT {} FROM {} ORDER BY rowid",
            columns.join(", "),
            quoted(&table.name)
        )
    }

    /// The values of a row `select_sql` read.
    pub(super) fn decode(row: &SqliteRow, table: &TablePlan) -> Result<Vec<Value>, String> {
        let failed = |column: &str, e: sqlx::Error| format!("{}.{column}: {e}", table.name);
        let mut values = Vec::with_capacity(table.columns.len());
        for (index, column) in table.columns.iter().enumerate() {
            let class: String = row
                .try_get(2 * index)
                .map_err(|e| failed(&column.name, e))?;
            let at = 2 * index + 1;
            let value = match class.as_str() {
                "null" => Value::Null,
                "integer" => Value::Int(row.try_get(at).map_err(|e| failed(&column.name, e))?),
                "real" => Value::Real(row.try_get(at).map_err(|e| failed(&column.name, e))?),
                "text" => Value::Text(row.try_get(at).map_err(|e| failed(&column.name, e))?),
                "blob" => Value::Bytes(row.try_get(at).map_err(|e| failed(&column.name, e))?),
                other => {
                    return Err(format!(
                        "{}.{}: a value of the unknown storage class {other:?}",
                        table.name, column.name
                    ))
                }
            };
            values.push(value);
        }
        Ok(values)
    }

    /// One `INSERT` of `rows`.
    pub(super) async fn insert(
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        table: &TablePlan,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), String> {
        let names: Vec<String> = table.columns.iter().map(|c| quoted(&c.name)).collect();
        let row = format!("({})", vec!["?"; names.len()].join(", "));
        let sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            quoted(&table.name),
            names.join(", "),
            vec![row; rows.len()].join(", ")
        );
        let mut query = sqlx::query(&sql);
        for row in rows {
            for (value, column) in row.into_iter().zip(&table.columns) {
                query = match (column.target, value) {
                    (Kind::Int64 | Kind::Int32 | Kind::Int16, Value::Int(value)) => {
                        query.bind(value)
                    }
                    (Kind::Text, Value::Text(text)) => query.bind(text),
                    (Kind::Bytes, Value::Bytes(bytes)) => query.bind(bytes),
                    (_, Value::Null) => query.bind(None::<String>),
                    (kind, value) => {
                        return Err(format!(
                            "{}: {} for a {kind:?} column",
                            column.name,
                            value.describe()
                        ))
                    }
                };
            }
        }
        query
            .persistent(false)
            .execute(&mut **tx)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    //! The PostgreSQL side: its catalogue from `information_schema` and `pg_constraint` (in the
    //! connection's current schema), values read by their column's type.

    use sqlx::{postgres::PgRow, PgPool, Row};

    use super::{quoted, Catalogue, Column, Kind, Origin, TablePlan, Value};
    use crate::store::Engine;

    /// The tables (without the migrator's), their columns and foreign keys.
    pub(super) async fn catalogue(pool: &PgPool) -> Result<Catalogue, String> {
        let failed = |e: sqlx::Error| format!("cannot read the PostgreSQL schema: {e}");
        let columns: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.udt_name::text,
                    c.is_identity::text
             FROM information_schema.columns c
             JOIN information_schema.tables t
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
               AND c.table_name <> '_sqlx_migrations'
             ORDER BY c.table_name, c.ordinal_position",
        )
        .fetch_all(pool)
        .await
        .map_err(failed)?;
        let foreign_keys: Vec<(String, String)> = sqlx::query_as(
            "SELECT child.relname::text, parent.relname::text
             FROM pg_constraint k
             JOIN pg_class child ON child.oid = k.conrelid
             JOIN pg_class parent ON parent.oid = k.confrelid
             JOIN pg_namespace n ON n.oid = child.relnamespace
             WHERE k.contype = 'f' AND n.nspname = current_schema()",
        )
        .fetch_all(pool)
        .await
        .map_err(failed)?;
        let mut catalogue = Catalogue {
            engine: Engine::Postgres,
            tables: Default::default(),
            foreign_keys,
        };
        for (table, name, data_type, udt_name, identity) in columns {
            let kind = match (data_type.as_str(), udt_name.as_str()) {
                ("boolean", _) => Kind::Bool,
                ("smallint", _) => Kind::Int16,
                ("integer", _) => Kind::Int32,
                ("bigint", _) => Kind::Int64,
                ("text" | "character varying", _) => Kind::Text,
                ("jsonb" | "json", _) => Kind::Json,
                ("bytea", _) => Kind::Bytes,
                ("ARRAY", "_text") => Kind::TextList,
                (other, udt) => {
                    return Err(format!(
                        "the PostgreSQL column {table}.{name} has the type {other} ({udt}), \
                         which db copy does not know"
                    ))
                }
            };
            catalogue.tables.entry(table).or_default().push(Column {
                name,
                kind,
                identity: identity == "YES",
            });
        }
        Ok(catalogue)
    }

    /// Each column (JSON as its text), in the order of the identity column if there is one.
    pub(super) fn select_sql(table: &TablePlan) -> String {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|column| match column.from {
                Origin::Column(Kind::Json) => format!("{}::text", quoted(&column.name)),
                // Never planned: a PostgreSQL source has no rowid (its `seq` is a column).
                Origin::Column(_) | Origin::RowId => quoted(&column.name),
            })
            .collect();
        let order = table
            .source_order
            .as_deref()
            .map(|column| format!(" ORDER BY {}", quoted(column)))
            .unwrap_or_default();
        format!(
            "SELECT {} FROM {}{order}",
            columns.join(", "),
            quoted(&table.name)
        )
    }

    /// The values of a row `select_sql` read.
    pub(super) fn decode(row: &PgRow, table: &TablePlan) -> Result<Vec<Value>, String> {
        let mut values = Vec::with_capacity(table.columns.len());
        for (index, column) in table.columns.iter().enumerate() {
            let kind = match column.from {
                Origin::Column(kind) => kind,
                Origin::RowId => Kind::Int64,
            };
            let value = match kind {
                Kind::Bool => row
                    .try_get::<Option<bool>, _>(index)
                    .map(|v| v.map(Value::Bool)),
                Kind::Int16 => row
                    .try_get::<Option<i16>, _>(index)
                    .map(|v| v.map(|v| Value::Int(v.into()))),
                Kind::Int32 => row
                    .try_get::<Option<i32>, _>(index)
                    .map(|v| v.map(|v| Value::Int(v.into()))),
                Kind::Int64 => row
                    .try_get::<Option<i64>, _>(index)
                    .map(|v| v.map(Value::Int)),
                Kind::Text | Kind::Json => row
                    .try_get::<Option<String>, _>(index)
                    .map(|v| v.map(Value::Text)),
                Kind::Bytes => row
                    .try_get::<Option<Vec<u8>>, _>(index)
                    .map(|v| v.map(Value::Bytes)),
                Kind::TextList => row
                    .try_get::<Option<Vec<String>>, _>(index)
                    .map(|v| v.map(Value::TextList)),
            }
            .map_err(|e| format!("{}.{}: {e}", table.name, column.name))?;
            values.push(value.unwrap_or(Value::Null));
        }
        Ok(values)
    }

    /// One `INSERT` of `rows`, identity columns given (`OVERRIDING SYSTEM VALUE`).
    pub(super) async fn insert(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        table: &TablePlan,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), String> {
        let names: Vec<String> = table.columns.iter().map(|c| quoted(&c.name)).collect();
        let width = table.columns.len();
        let values: Vec<String> = (0..rows.len())
            .map(|row| {
                let parameters: Vec<String> = table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(index, column)| {
                        let n = row * width + index + 1;
                        match column.target {
                            Kind::Json => format!("${n}::jsonb"),
                            _ => format!("${n}"),
                        }
                    })
                    .collect();
                format!("({})", parameters.join(", "))
            })
            .collect();
        let overriding = if table.target_identity.is_empty() {
            ""
        } else {
            " OVERRIDING SYSTEM VALUE"
        };
        let sql = format!(
            "INSERT INTO {} ({}){overriding} VALUES {}",
            quoted(&table.name),
            names.join(", "),
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for row in rows {
            for (value, column) in row.into_iter().zip(&table.columns) {
                let kind = column.target;
                query = match value {
                    Value::Null => match kind {
                        Kind::Bool => query.bind(None::<bool>),
                        Kind::Int16 => query.bind(None::<i16>),
                        Kind::Int32 => query.bind(None::<i32>),
                        Kind::Int64 => query.bind(None::<i64>),
                        Kind::Text | Kind::Json => query.bind(None::<String>),
                        Kind::Bytes => query.bind(None::<Vec<u8>>),
                        Kind::TextList => query.bind(None::<Vec<String>>),
                    },
                    Value::Bool(value) if kind == Kind::Bool => query.bind(value),
                    Value::Int(value) => match kind {
                        Kind::Int16 => query.bind(i16::try_from(value).map_err(|e| e.to_string())?),
                        Kind::Int32 => query.bind(i32::try_from(value).map_err(|e| e.to_string())?),
                        Kind::Int64 => query.bind(value),
                        _ => {
                            return Err(format!(
                                "{}: an integer for a {kind:?} column",
                                column.name
                            ))
                        }
                    },
                    Value::Text(text) if matches!(kind, Kind::Text | Kind::Json) => {
                        query.bind(text)
                    }
                    Value::Bytes(bytes) if kind == Kind::Bytes => query.bind(bytes),
                    Value::TextList(list) if kind == Kind::TextList => query.bind(list),
                    value => {
                        return Err(format!(
                            "{}: {} for a {kind:?} column",
                            column.name,
                            value.describe()
                        ))
                    }
                };
            }
        }
        query
            .persistent(false)
            .execute(&mut **tx)
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Moves each identity column's sequence past the largest value copied, so the next row
    /// inserted comes after the copied ones. (Sequences are not transactional: a copy rolled
    /// back later leaves them ahead, which only skips numbers.)
    pub(super) async fn advance_identities(
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        table: &TablePlan,
    ) -> Result<(), sqlx::Error> {
        for column in &table.target_identity {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({}), 0) + 1, false)
                 FROM {}",
                quoted(column),
                quoted(&table.name)
            );
            sqlx::query(&sql)
                .bind(quoted(&table.name))
                .bind(column)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}
