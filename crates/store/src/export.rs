//! The CSV export: every ticket a list query matches, walked in the list's order by keyset in
//! batches, each batch written out as CSV before the next is read, so memory stays the same
//! whatever the number of tickets.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use domain::list::{Cursor, Sort, TicketListQuery};
use domain::queue::{EXPORT_COLUMNS, csv_cell};
use domain::ticket::Priority;
use domain::{TicketId, WorkspaceId};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, FromQueryResult, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::entity::{ticket, user};
use crate::tickets::order;
use crate::{Backend, Store, StoreError};

/// Tickets read (and written out) per batch.
pub const EXPORT_BATCH: u64 = 1_000;

#[derive(Debug, FromQueryResult)]
struct Row {
    id: Uuid,
    reference: String,
    subject: String,
    status: String,
    priority: i16,
    assigned_to_user_id: Option<Uuid>,
    requester_email: Option<String>,
    source: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    first_responded_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    first_response_due_at: Option<DateTime<Utc>>,
    resolution_due_at: Option<DateTime<Utc>>,
}

/// A walk over the tickets of one query, handing out CSV a batch at a time: the header
/// row first, then one record per ticket (RFC 4180, CRLF line ends, formula cells defused).
pub struct ExportWalk {
    store: Store,
    filter: Condition,
    sort: Sort,
    after: Option<Cursor>,
    /// Assignee e-mails seen so far (a workspace's members: few).
    emails: HashMap<Uuid, String>,
    header: bool,
    done: bool,
    rows: u64,
}

impl ExportWalk {
    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The next piece of the file, or `None` once every ticket was written.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, StoreError> {
        if self.done {
            return Ok(None);
        }
        let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        if !self.header {
            self.header = true;
            out.write_record(EXPORT_COLUMNS).map_err(csv_error)?;
        }
        let rows = self.next_rows().await?;
        if (rows.len() as u64) < EXPORT_BATCH {
            self.done = true;
        }
        self.fill_emails(&rows).await?;
        for row in &rows {
            let priority = Priority::from_rank(row.priority).map(|p| p.as_str()).unwrap_or_default();
            let assignee =
                row.assigned_to_user_id.and_then(|u| self.emails.get(&u)).map_or("", String::as_str);
            let record: [&str; 13] = [
                &row.reference,
                &csv_cell(&row.subject),
                &row.status,
                priority,
                &csv_cell(assignee),
                &csv_cell(row.requester_email.as_deref().unwrap_or_default()),
                &csv_cell(row.source.as_deref().unwrap_or_default()),
                &time(Some(row.created_at)),
                &time(Some(row.updated_at)),
                &time(row.first_responded_at),
                &time(row.resolved_at),
                &time(row.first_response_due_at),
                &time(row.resolution_due_at),
            ];
            out.write_record(record).map_err(csv_error)?;
        }
        self.rows += rows.len() as u64;
        if let Some(last) = rows.last() {
            self.after = Some(cursor_after(self.sort, last));
        }
        out.into_inner().map(Some).map_err(|e| StoreError::Encoding(format!("CSV: {e}")))
    }

    async fn next_rows(&self) -> Result<Vec<Row>, StoreError> {
        let mut filter = self.filter.clone();
        if let Some(cursor) = &self.after {
            filter = filter.add(self.store.after(self.sort, cursor));
        }
        let source = match self.store.backend {
            Backend::Postgres => Expr::cust("metadata->>'source'"),
            Backend::Sqlite => Expr::cust("json_extract(metadata, '$.source')"),
        };
        use ticket::Column as C;
        Ok(order(ticket::Entity::find(), self.sort)
            .select_only()
            .columns([
                C::Id,
                C::Reference,
                C::Subject,
                C::Status,
                C::Priority,
                C::AssignedToUserId,
                C::RequesterEmail,
            ])
            .expr_as(source, "source")
            .columns([
                C::CreatedAt,
                C::UpdatedAt,
                C::FirstRespondedAt,
                C::ResolvedAt,
                C::FirstResponseDueAt,
                C::ResolutionDueAt,
            ])
            .filter(filter)
            .limit(EXPORT_BATCH)
            .into_model::<Row>()
            .all(&self.store.db)
            .await?)
    }

    async fn fill_emails(&mut self, rows: &[Row]) -> Result<(), StoreError> {
        let mut missing: Vec<Uuid> = rows
            .iter()
            .filter_map(|r| r.assigned_to_user_id)
            .filter(|u| !self.emails.contains_key(u))
            .collect();
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            return Ok(());
        }
        for u in user::Entity::find().filter(user::Column::Id.is_in(missing)).all(&self.store.db).await? {
            self.emails.insert(u.id, u.email);
        }
        Ok(())
    }
}

fn cursor_after(sort: Sort, row: &Row) -> Cursor {
    let (at, priority_rank) = match sort {
        Sort::UpdatedDesc => (row.updated_at, None),
        Sort::PriorityDesc => (row.created_at, Some(row.priority)),
        Sort::CreatedDesc | Sort::CreatedAsc | Sort::Due => (row.created_at, None),
    };
    Cursor { sort: sort.as_str().to_owned(), at, priority_rank, no_clock: false, id: TicketId(row.id) }
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
}

fn csv_error(e: csv::Error) -> StoreError {
    StoreError::Encoding(format!("CSV: {e}"))
}

impl Store {
    /// A walk over every ticket `query` matches (`assignee=me` already resolved), in its
    /// order (`sort=due` is written newest first). Its pagination is ignored: the walk
    /// covers the whole list.
    pub fn export_walk(&self, ws: WorkspaceId, query: &TicketListQuery) -> Result<ExportWalk, StoreError> {
        Ok(ExportWalk {
            store: self.clone(),
            filter: self.walk_filter(ws, query)?,
            sort: match query.sort {
                Sort::Due => Sort::CreatedDesc,
                other => other,
            },
            after: None,
            emails: HashMap::new(),
            header: false,
            done: false,
            rows: 0,
        })
    }
}
