use sea_orm::QueryTrait;
use sea_orm::entity::prelude::*;
use sea_orm::sqlx;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub number: i64,
    pub reference: String,
    pub agent_id: Option<Uuid>,
    pub conversation_id: Option<Uuid>,
    pub subject: String,
    pub body: String,
    pub status: String,
    /// The priority's rank: 0 low … 3 urgent.
    pub priority: i16,
    pub assigned_to_user_id: Option<Uuid>,
    pub notes: Option<String>,
    pub metadata: Json,
    pub resolved_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub requester_name: Option<String>,
    pub requester_email: Option<String>,
    pub first_responded_at: Option<DateTimeUtc>,
    // SLA (see migrations/src/m20261203_000009_sla.rs).
    pub first_response_due_at: Option<DateTimeUtc>,
    pub resolution_due_at: Option<DateTimeUtc>,
    pub sla_stopped_at: Option<DateTimeUtc>,
    pub sla_next_due_at: Option<DateTimeUtc>,
    pub sla_later_due_at: Option<DateTimeUtc>,
    pub sla_alarm_at: Option<DateTimeUtc>,
    pub first_response_breach_due_at: Option<DateTimeUtc>,
    pub resolution_breach_due_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A row of `Entity::find()` (every column, in this struct's order) decoded by position.
///
/// The derived decoder looks each column up by name, checks its type against the database's
/// and, for every NULL, builds an error message naming the column before turning it into
/// `None`: on a list page that was a fifth of ticketd's CPU. This one reads sqlx's row by
/// position, unchecked. The order is the struct's, which is the order `Entity::find()`
/// selects in; the tests below compare the two decoders on both databases, on a ticket with
/// every column set (no two alike) and on one with every optional column empty.
pub fn decode(row: &QueryResult) -> Result<Model, DbErr> {
    let decoded = if let Some(row) = row.try_as_pg_row() {
        from_row(row)
    } else if let Some(row) = row.try_as_sqlite_row() {
        from_row(row)
    } else {
        return Err(DbErr::Custom("a ticket row from neither PostgreSQL nor SQLite".into()));
    };
    decoded.map_err(|e| DbErr::Type(format!("a ticket row: {e}")))
}

fn from_row<'r, R>(row: &'r R) -> Result<Model, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    Uuid: sqlx::Decode<'r, R::Database>,
    i64: sqlx::Decode<'r, R::Database>,
    i16: sqlx::Decode<'r, R::Database>,
    String: sqlx::Decode<'r, R::Database>,
    Json: sqlx::Decode<'r, R::Database>,
    DateTimeUtc: sqlx::Decode<'r, R::Database>,
{
    let mut columns = 0usize..;
    let mut next = || columns.next().expect("an unbounded range");
    Ok(Model {
        id: row.try_get_unchecked(next())?,
        workspace_id: row.try_get_unchecked(next())?,
        number: row.try_get_unchecked(next())?,
        reference: row.try_get_unchecked(next())?,
        agent_id: row.try_get_unchecked(next())?,
        conversation_id: row.try_get_unchecked(next())?,
        subject: row.try_get_unchecked(next())?,
        body: row.try_get_unchecked(next())?,
        status: row.try_get_unchecked(next())?,
        priority: row.try_get_unchecked(next())?,
        assigned_to_user_id: row.try_get_unchecked(next())?,
        notes: row.try_get_unchecked(next())?,
        metadata: row.try_get_unchecked(next())?,
        resolved_at: row.try_get_unchecked(next())?,
        created_at: row.try_get_unchecked(next())?,
        updated_at: row.try_get_unchecked(next())?,
        requester_name: row.try_get_unchecked(next())?,
        requester_email: row.try_get_unchecked(next())?,
        first_responded_at: row.try_get_unchecked(next())?,
        first_response_due_at: row.try_get_unchecked(next())?,
        resolution_due_at: row.try_get_unchecked(next())?,
        sla_stopped_at: row.try_get_unchecked(next())?,
        sla_next_due_at: row.try_get_unchecked(next())?,
        sla_later_due_at: row.try_get_unchecked(next())?,
        sla_alarm_at: row.try_get_unchecked(next())?,
        first_response_breach_due_at: row.try_get_unchecked(next())?,
        resolution_breach_due_at: row.try_get_unchecked(next())?,
    })
}

/// The tickets `select` finds, decoded by [`decode`].
pub async fn find_all<C: ConnectionTrait>(db: &C, select: Select<Entity>) -> Result<Vec<Model>, DbErr> {
    db.query_all(&select.into_query()).await?.iter().map(decode).collect()
}

/// The first `limit` tickets `select` (which has no LIMIT or OFFSET of its own) finds,
/// decoded by [`decode`].
///
/// The limit is written into the SQL rather than bound: PostgreSQL plans a statement whose
/// LIMIT is a parameter afresh on every execution (its generic plan, not knowing the limit,
/// always looks worse than a custom one), which cost a list page more than running it did.
pub async fn find_page<C: ConnectionTrait>(
    db: &C,
    select: Select<Entity>,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    let mut statement = db.get_database_backend().build(&select.into_query());
    statement.sql.push_str(&format!(" LIMIT {limit}"));
    db.query_all_raw(statement).await?.iter().map(decode).collect()
}

/// The first ticket `select` finds, decoded by [`decode`].
pub async fn find_one<C: ConnectionTrait>(db: &C, select: Select<Entity>) -> Result<Option<Model>, DbErr> {
    db.query_one(&select.into_query()).await?.as_ref().map(decode).transpose()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{Duration, TimeZone, Utc};
    use migration::MigratorTrait;
    use sea_orm::{
        ActiveModelTrait, ConnectOptions, Database, DatabaseConnection, IntoActiveModel, QueryOrder,
    };

    use super::*;

    /// A ticket with every column set (no two alike, so a swapped pair shows) and one with
    /// every optional column empty, each read back by both decoders.
    async fn both_decoders_agree(db: &DatabaseConnection) {
        migration::Migrator::up(db, None).await.expect("migrate");
        let at =
            |minutes: i64| Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap() + Duration::minutes(minutes);
        let full = Model {
            id: Uuid::now_v7(),
            workspace_id: Uuid::now_v7(),
            number: 7,
            reference: "ACME-7".into(),
            agent_id: Some(Uuid::now_v7()),
            conversation_id: Some(Uuid::now_v7()),
            subject: "subject".into(),
            body: "body".into(),
            status: "resolved".into(),
            priority: 3,
            assigned_to_user_id: Some(Uuid::now_v7()),
            notes: Some("notes".into()),
            metadata: serde_json::json!({"source": "api", "n": [1, 2]}),
            resolved_at: Some(at(1)),
            created_at: at(2),
            updated_at: at(3),
            requester_name: Some("name".into()),
            requester_email: Some("email@example.test".into()),
            first_responded_at: Some(at(4)),
            first_response_due_at: Some(at(5)),
            resolution_due_at: Some(at(6)),
            sla_stopped_at: Some(at(7)),
            sla_next_due_at: Some(at(8)),
            sla_later_due_at: Some(at(9)),
            sla_alarm_at: Some(at(10)),
            first_response_breach_due_at: Some(at(11)),
            resolution_breach_due_at: Some(at(12)),
        };
        let sparse = Model {
            id: Uuid::now_v7(),
            number: 8,
            reference: "ACME-8".into(),
            agent_id: None,
            conversation_id: None,
            assigned_to_user_id: None,
            notes: None,
            metadata: serde_json::json!({}),
            resolved_at: None,
            requester_name: None,
            requester_email: None,
            first_responded_at: None,
            first_response_due_at: None,
            resolution_due_at: None,
            sla_stopped_at: None,
            sla_next_due_at: None,
            sla_later_due_at: None,
            sla_alarm_at: None,
            first_response_breach_due_at: None,
            resolution_breach_due_at: None,
            ..full.clone()
        };
        for model in [&full, &sparse] {
            model.clone().into_active_model().insert(db).await.expect("insert");
        }
        let select = || Entity::find().order_by_asc(Column::Number);
        let derived = select().all(db).await.expect("derived decoder");
        let by_position = find_all(db, select()).await.expect("decoder by position");
        assert_eq!(derived, vec![full.clone(), sparse]);
        assert_eq!(by_position, derived);
        assert_eq!(find_one(db, select()).await.expect("one"), Some(full.clone()));
        assert_eq!(find_page(db, select(), 1).await.expect("page"), vec![full]);
    }

    #[tokio::test]
    async fn decoding_by_position_reads_what_the_derived_decoder_reads_on_sqlite() {
        // One connection (an in-memory database is per connection), no foreign keys: the
        // row's references need no agents, users or conversations.
        let mut options = ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).map_sqlx_sqlite_opts(|o| o.foreign_keys(false));
        let db = Database::connect(options).await.expect("connect");
        both_decoders_agree(&db).await;
    }

    #[tokio::test]
    async fn decoding_by_position_reads_what_the_derived_decoder_reads_on_postgres() {
        let admin = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!("t_decode_{}", Uuid::new_v4().simple());
        let server = Database::connect(&admin).await.expect("connect to PostgreSQL (TEST_DATABASE_URL)");
        server.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let mut options = ConnectOptions::new(format!("{base}/{name}"));
        options.max_connections(1);
        let db = Database::connect(options).await.expect("connect");
        // One connection, foreign-key triggers off for it: the references need no rows.
        db.execute_unprepared("SET session_replication_role = replica").await.expect("no foreign keys");
        both_decoders_agree(&db).await;
        db.close().await.expect("close");
        server.execute_unprepared(&format!("DROP DATABASE {name}")).await.expect("drop database");
    }
}
