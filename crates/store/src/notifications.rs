//! Notification channels and the transactional outbox: an event row (and one delivery row
//! per subscribed channel) is written in the same transaction as the change it announces;
//! delivery workers claim due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and record each
//! attempt. Live subscribers (the SPA's event stream) hear of each event after its commit:
//! in-process on SQLite, through `LISTEN/NOTIFY` across instances on PostgreSQL.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use domain::WorkspaceId;
use domain::delivery::{DeliveryState, TargetKind};
use domain::notification::{ChannelKind, EventType, OutboxEventType};
use rand::RngCore;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use crate::entity::{delivery, notification_channel, outbox_event};
use crate::{Backend, Store, StoreError};

/// The PostgreSQL channel that carries `<event id>` notifications between instances.
pub const NOTIFY_CHANNEL: &str = "ticketd_events";

/// A notification channel (its secret is shown only when created).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub kind: ChannelKind,
    /// Where a webhook or Slack channel posts.
    pub url: Option<String>,
    /// Where an e-mail channel mails.
    pub address: Option<String>,
    pub events: Vec<EventType>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An event of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub event_type: OutboxEventType,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// One event's delivery to one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: OutboxEventType,
    pub channel_id: Uuid,
    /// The URL or address it was queued for.
    pub target: String,
    pub status: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A delivery claimed by a worker, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: Uuid,
    pub attempts: i32,
    pub target_kind: TargetKind,
    /// The URL (webhook, Slack) or e-mail address (ping, reply) it was queued for: a channel
    /// pointed elsewhere later does not redirect it.
    pub target: String,
    /// The channel's signing secret (webhook and Slack channels).
    pub secret: Option<String>,
    /// The channel of a ping; `None` for a reply.
    pub channel_id: Option<Uuid>,
    /// The comment of a reply.
    pub comment_id: Option<Uuid>,
    /// A mail's Message-ID, the same on every retry.
    pub message_id: Option<String>,
    pub event: OutboxEvent,
}

/// How an attempt went.
#[derive(Debug, Clone)]
pub enum AttemptOutcome {
    Delivered { status_code: u16 },
    Failed { status_code: Option<u16>, error: String, retry_at: Option<DateTime<Utc>> },
}

/// A change to a channel; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    /// The new URL (webhook, Slack) or address (e-mail), by the channel's kind.
    pub target: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub enabled: Option<bool>,
}

fn events_text(events: &[EventType]) -> String {
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",")
}

impl TryFrom<notification_channel::Model> for Channel {
    type Error = StoreError;
    fn try_from(m: notification_channel::Model) -> Result<Self, StoreError> {
        let notification_channel::Model {
            id,
            workspace_id,
            kind,
            url,
            events,
            secret: _,
            address,
            enabled,
            created_at,
            updated_at,
        } = m;
        Ok(Channel {
            id,
            workspace_id: WorkspaceId(workspace_id),
            kind: ChannelKind::parse(&kind)
                .ok_or_else(|| StoreError::CorruptRow(format!("channel kind {kind}")))?,
            url,
            address,
            events: events
                .split(',')
                .filter(|e| !e.is_empty())
                .map(|e| {
                    e.parse().map_err(|e: String| StoreError::CorruptRow(format!("channel events: {e}")))
                })
                .collect::<Result<_, _>>()?,
            enabled,
            created_at,
            updated_at,
        })
    }
}

impl TryFrom<outbox_event::Model> for OutboxEvent {
    type Error = StoreError;
    fn try_from(m: outbox_event::Model) -> Result<Self, StoreError> {
        let outbox_event::Model { id, workspace_id, event_type, data, created_at } = m;
        Ok(OutboxEvent {
            id,
            workspace_id: WorkspaceId(workspace_id),
            event_type: parse_event_type(&event_type)?,
            data,
            created_at,
        })
    }
}

/// A random channel secret: `whsec_` and 32 bytes, base64url.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("whsec_{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Store {
    /// A channel delivering to `target`: a webhook or Slack channel's URL (with `secret`, or a
    /// generated one), an e-mail channel's address (no secret). Returns the secret, if any.
    pub async fn create_channel(
        &self,
        ws: WorkspaceId,
        kind: ChannelKind,
        target: &str,
        events: &[EventType],
        secret: Option<String>,
        enabled: bool,
    ) -> Result<(Channel, Option<String>), StoreError> {
        let email = kind == ChannelKind::Email;
        let secret = (!email).then(|| secret.unwrap_or_else(generate_secret));
        let now = domain::time::now();
        let model = notification_channel::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(ws.0),
            kind: Set(kind.as_str().to_owned()),
            url: Set((!email).then(|| target.to_owned())),
            events: Set(events_text(events)),
            secret: Set(secret.clone()),
            address: Set(email.then(|| target.to_owned())),
            enabled: Set(enabled),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let channel =
            notification_channel::Entity::insert(model).exec_with_returning(&self.db).await?.try_into()?;
        Ok((channel, secret))
    }

    pub async fn channels(&self, ws: WorkspaceId) -> Result<Vec<Channel>, StoreError> {
        notification_channel::Entity::find()
            .filter(notification_channel::Column::WorkspaceId.eq(ws.0))
            .order_by_asc(notification_channel::Column::CreatedAt)
            .order_by_asc(notification_channel::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Channel::try_from)
            .collect()
    }

    pub async fn channel(&self, ws: WorkspaceId, id: Uuid) -> Result<Channel, StoreError> {
        notification_channel::Entity::find_by_id(id)
            .filter(notification_channel::Column::WorkspaceId.eq(ws.0))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    pub async fn update_channel(
        &self,
        ws: WorkspaceId,
        id: Uuid,
        patch: ChannelPatch,
    ) -> Result<Channel, StoreError> {
        let kind = self.channel(ws, id).await?.kind;
        let mut active = notification_channel::ActiveModel { id: Set(id), ..Default::default() };
        if let Some(target) = patch.target {
            // Deliveries keep the target they were queued for.
            match kind {
                ChannelKind::Email => active.address = Set(Some(target)),
                ChannelKind::Webhook | ChannelKind::Slack => active.url = Set(Some(target)),
            }
        }
        if let Some(events) = patch.events {
            active.events = Set(events_text(&events));
        }
        if let Some(enabled) = patch.enabled {
            active.enabled = Set(enabled);
        }
        active.updated_at = Set(domain::time::now());
        let tx = self.write_tx().await?;
        let channel = notification_channel::Entity::update(active).exec(&tx).await?.try_into()?;
        if patch.enabled == Some(false) {
            fail_pending_of_disabled(&tx, &[id]).await?;
        }
        tx.commit().await?;
        Ok(channel)
    }

    pub async fn delete_channel(&self, ws: WorkspaceId, id: Uuid) -> Result<(), StoreError> {
        let deleted = notification_channel::Entity::delete_many()
            .filter(notification_channel::Column::Id.eq(id))
            .filter(notification_channel::Column::WorkspaceId.eq(ws.0))
            .exec(&self.db)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The latest deliveries of a channel, newest first.
    pub async fn deliveries(
        &self,
        ws: WorkspaceId,
        channel_id: Uuid,
        limit: u64,
    ) -> Result<Vec<Delivery>, StoreError> {
        self.channel(ws, channel_id).await?;
        let rows = delivery::Entity::find()
            .filter(delivery::Column::ChannelId.eq(channel_id))
            .filter(delivery::Column::WorkspaceId.eq(ws.0))
            .order_by_desc(delivery::Column::CreatedAt)
            .order_by_desc(delivery::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let event_ids: Vec<Uuid> = rows.iter().map(|d| d.event_id).collect();
        let types: std::collections::HashMap<Uuid, String> = outbox_event::Entity::find()
            .select_only()
            .column(outbox_event::Column::Id)
            .column(outbox_event::Column::EventType)
            .filter(outbox_event::Column::Id.is_in(event_ids))
            .into_tuple::<(Uuid, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        rows.into_iter()
            // A delivery whose event is gone (deleted with its workspace since) went with it.
            .filter_map(|d| types.get(&d.event_id).map(|event_type| (parse_event_type(event_type), d)))
            .map(|(event_type, d)| {
                Ok(Delivery {
                    event_type: event_type?,
                    id: d.id,
                    event_id: d.event_id,
                    channel_id: d.channel_id.unwrap_or(channel_id),
                    target: d.target,
                    status: parse_state(&d.status)?,
                    attempts: d.attempts,
                    next_attempt_at: d.next_attempt_at,
                    last_attempt_at: d.last_attempt_at,
                    last_status_code: d.last_status_code,
                    last_error: d.last_error,
                    delivered_at: d.delivered_at,
                    created_at: d.created_at,
                })
            })
            .collect()
    }

    /// Writes an event and a delivery to each enabled channel subscribed to its type, inside
    /// the caller's transaction.
    pub(crate) async fn emit<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        event_type: EventType,
        data: serde_json::Value,
    ) -> Result<OutboxEvent, StoreError> {
        self.write_event(db, ws, event_type.into(), data, None).await
    }

    /// Writes an event and its deliveries inside the caller's transaction. With `only`,
    /// the event goes to that channel alone (a test send) whatever it subscribes to.
    async fn write_event<C: ConnectionTrait>(
        &self,
        db: &C,
        ws: WorkspaceId,
        event_type: OutboxEventType,
        data: serde_json::Value,
        only: Option<Uuid>,
    ) -> Result<OutboxEvent, StoreError> {
        let now = domain::time::now();
        let model = outbox_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            workspace_id: Set(ws.0),
            event_type: Set(event_type.as_str().to_owned()),
            data: Set(data),
            created_at: Set(now),
        };
        let event: OutboxEvent =
            outbox_event::Entity::insert(model).exec_with_returning(db).await?.try_into()?;
        let channels = notification_channel::Entity::find()
            .filter(notification_channel::Column::WorkspaceId.eq(ws.0))
            .filter(notification_channel::Column::Enabled.eq(true))
            .all(db)
            .await?;
        let deliveries: Vec<_> = channels
            .into_iter()
            .filter(|c| match only {
                Some(id) => c.id == id,
                None => c.events.split(',').any(|e| e == event_type.as_str()),
            })
            .filter_map(|c| {
                // A channel's kind names its deliveries' kind (webhook, slack, email).
                let kind: TargetKind = c.kind.parse().ok()?;
                let target = c.url.clone().or(c.address.clone())?;
                Some(pending_delivery(ws, event.id, now, kind, target, Some(c.id), None, None))
            })
            .collect();
        if !deliveries.is_empty() {
            delivery::Entity::insert_many(deliveries).exec_without_returning(db).await?;
        }
        if self.backend == Backend::Postgres {
            // Delivered to listeners when (and only if) the transaction commits.
            db.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [NOTIFY_CHANNEL.into(), event.id.to_string().into()],
            ))
            .await?;
        }
        Ok(event)
    }

    /// Tells this process's live subscribers about committed events. On PostgreSQL the
    /// listener does this for every instance, so here it is SQLite only.
    pub(crate) fn publish(&self, events: Vec<OutboxEvent>) {
        if self.backend == Backend::Sqlite {
            for event in events {
                let _ = self.live.send(event);
            }
        }
    }

    /// Records an event on its own (a lead from the chat backend, a reply's new delivery
    /// state).
    pub async fn emit_event(
        &self,
        ws: WorkspaceId,
        event_type: EventType,
        data: serde_json::Value,
    ) -> Result<OutboxEvent, StoreError> {
        self.commit_event(ws, event_type.into(), data, None).await
    }

    /// Records a test event for one channel, whatever it subscribes to.
    pub async fn emit_test_event(
        &self,
        ws: WorkspaceId,
        channel: Uuid,
        data: serde_json::Value,
    ) -> Result<OutboxEvent, StoreError> {
        self.channel(ws, channel).await?;
        self.commit_event(ws, OutboxEventType::Test, data, Some(channel)).await
    }

    /// Writes an event (see [`Store::write_event`]) in a transaction of its own and tells
    /// the live subscribers once it is committed.
    async fn commit_event(
        &self,
        ws: WorkspaceId,
        event_type: OutboxEventType,
        data: serde_json::Value,
        only: Option<Uuid>,
    ) -> Result<OutboxEvent, StoreError> {
        let tx = self.write_tx().await?;
        let event = self.write_event(&tx, ws, event_type, data, only).await?;
        tx.commit().await?;
        self.publish(vec![event.clone()]);
        Ok(event)
    }

    /// Subscribes to committed events (all workspaces: filter by `workspace_id`).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<OutboxEvent> {
        self.live.subscribe()
    }

    /// The workspace's events after `after` (by id, which is time-ordered), oldest first.
    pub async fn events_after(
        &self,
        ws: WorkspaceId,
        after: Uuid,
        limit: u64,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let matching = Condition::all()
            .add(outbox_event::Column::WorkspaceId.eq(ws.0))
            .add(outbox_event::Column::Id.gt(after));
        self.oldest_events(matching, limit).await
    }

    /// Up to `limit` events matching `filter`, oldest first (ids are time-ordered).
    async fn oldest_events(&self, filter: Condition, limit: u64) -> Result<Vec<OutboxEvent>, StoreError> {
        let rows = outbox_event::Entity::find()
            .filter(filter)
            .order_by_asc(outbox_event::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(known_events(rows).collect())
    }

    /// Claims up to `limit` due deliveries for `lease`: they are not due again until the
    /// lease ends, so no other worker (or instance) sends them meanwhile; a worker that dies
    /// mid-send leaves them to be retried when the lease ends (at-least-once).
    ///
    /// Only deliveries of `kinds` are claimed: the kinds this worker can send (an instance
    /// without a mail transport leaves mails to one that has one).
    pub async fn claim_due_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
        kinds: &[TargetKind],
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let tx = self.write_tx().await?;
        let mut select = delivery::Entity::find()
            .filter(delivery::Column::Status.eq(DeliveryState::Pending.as_str()))
            .filter(delivery::Column::TargetKind.is_in(kinds.iter().map(|k| k.as_str())))
            .filter(delivery::Column::NextAttemptAt.lte(now))
            .order_by_asc(delivery::Column::NextAttemptAt)
            .limit(limit);
        if self.backend == Backend::Postgres {
            select = select.lock_with_behavior(
                sea_orm::sea_query::LockType::Update,
                sea_orm::sea_query::LockBehavior::SkipLocked,
            );
        }
        let mut rows = select.all(&tx).await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let channel_ids: Vec<Uuid> = rows.iter().filter_map(|d| d.channel_id).collect();
        let channels: std::collections::HashMap<Uuid, notification_channel::Model> =
            notification_channel::Entity::find()
                .filter(notification_channel::Column::Id.is_in(channel_ids))
                .all(&tx)
                .await?
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
        // A disabled channel gets nothing more: its deliveries fail with the reason.
        let disabled: Vec<Uuid> = channels.values().filter(|c| !c.enabled).map(|c| c.id).collect();
        if !disabled.is_empty() {
            fail_pending_of_disabled(&tx, &disabled).await?;
            rows.retain(|d| d.channel_id.is_none_or(|c| !disabled.contains(&c)));
        }
        let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
        delivery::Entity::update_many()
            .col_expr(delivery::Column::NextAttemptAt, Expr::value(now + lease))
            .col_expr(delivery::Column::Attempts, Expr::col(delivery::Column::Attempts).add(1))
            .col_expr(delivery::Column::LastAttemptAt, Expr::value(now))
            .filter(delivery::Column::Id.is_in(ids.clone()))
            .exec(&tx)
            .await?;
        let event_ids: Vec<Uuid> = rows.iter().map(|d| d.event_id).collect();
        let events: std::collections::HashMap<Uuid, OutboxEvent> = known_events(
            outbox_event::Entity::find().filter(outbox_event::Column::Id.is_in(event_ids)).all(&tx).await?,
        )
        .map(|e| (e.id, e))
        .collect();
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .filter_map(|d| {
                let secret = d.channel_id.and_then(|c| channels.get(&c)).and_then(|c| c.secret.clone());
                let event = events.get(&d.event_id)?.clone();
                Some(DueDelivery {
                    id: d.id,
                    attempts: d.attempts + 1,
                    target_kind: d.target_kind.parse().ok()?,
                    target: d.target,
                    secret,
                    channel_id: d.channel_id,
                    comment_id: d.comment_id,
                    message_id: d.message_id,
                    event,
                })
            })
            .collect())
    }

    /// Records an attempt: delivered, retried at `retry_at`, or given up (`retry_at: None`).
    pub async fn record_attempt(&self, id: Uuid, outcome: AttemptOutcome) -> Result<(), StoreError> {
        let now = domain::time::now();
        let mut update = delivery::Entity::update_many().filter(delivery::Column::Id.eq(id));
        update = match outcome {
            AttemptOutcome::Delivered { status_code } => update
                .col_expr(delivery::Column::Status, Expr::value(DeliveryState::Delivered.as_str()))
                .col_expr(delivery::Column::DeliveredAt, Expr::value(now))
                .col_expr(delivery::Column::LastStatusCode, Expr::value(i32::from(status_code)))
                .col_expr(delivery::Column::LastError, Expr::value(Option::<String>::None)),
            AttemptOutcome::Failed { status_code, error, retry_at } => {
                let update = update
                    .col_expr(delivery::Column::LastStatusCode, Expr::value(status_code.map(i32::from)))
                    .col_expr(delivery::Column::LastError, Expr::value(error));
                match retry_at {
                    Some(at) => update.col_expr(delivery::Column::NextAttemptAt, Expr::value(at)),
                    None => {
                        update.col_expr(delivery::Column::Status, Expr::value(DeliveryState::Failed.as_str()))
                    }
                }
            }
        };
        update.exec(&self.db).await?;
        Ok(())
    }

    /// Relays PostgreSQL notifications to this process's live subscribers (every instance
    /// runs one). When the connection drops (the database restarts, the network breaks) it
    /// reconnects, retrying every second, and then replays the events committed since shortly
    /// before the loss: their notifications went to nobody. Subscribers get an event twice
    /// at worst (the event stream sends each id once).
    pub fn start_listener(&self) -> Option<tokio::task::JoinHandle<()>> {
        if self.backend != Backend::Postgres {
            return None;
        }
        let store = self.clone();
        Some(tokio::spawn(async move {
            let mut lost_at = None;
            loop {
                if let Err(e) = store.listen(&mut lost_at).await {
                    if lost_at.is_none() {
                        tracing::warn!(error = %e, "event listener lost its connection; reconnecting");
                    } else {
                        tracing::debug!(error = %e, "event listener still disconnected");
                    }
                }
                lost_at.get_or_insert_with(domain::time::now);
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }))
    }

    /// Listens until the connection fails. With `lost_at` (an earlier session's end), first
    /// replays what that gap missed.
    async fn listen(&self, lost_at: &mut Option<DateTime<Utc>>) -> Result<(), StoreError> {
        let pool = self.db.get_postgres_connection_pool();
        let mut listener =
            sea_orm::sqlx::postgres::PgListener::connect_with(pool).await.map_err(listen_error)?;
        listener.listen(NOTIFY_CHANNEL).await.map_err(listen_error)?;
        if let Some(since) = *lost_at {
            let missed = self.events_since(since - LISTEN_REPLAY_MARGIN, LISTEN_REPLAY_MAX).await?;
            tracing::info!(replayed = missed.len(), "event listener reconnected");
            *lost_at = None;
            for event in missed {
                let _ = self.live.send(event);
            }
        }
        loop {
            // `try_recv` answers `None` when the connection dropped (`recv` would reconnect
            // silently, and the gap's notifications would be lost without a replay).
            let Some(note) = listener.try_recv().await.map_err(listen_error)? else {
                return Err(StoreError::Unavailable(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::Internal(
                    "the listening connection closed".into(),
                ))));
            };
            let Ok(id) = Uuid::parse_str(note.payload()) else { continue };
            let found = outbox_event::Entity::find_by_id(id).one(&self.db).await?;
            for event in known_events(found) {
                let _ = self.live.send(event);
            }
        }
    }

    /// Every workspace's events created at or after `since`, oldest first.
    async fn events_since(&self, since: DateTime<Utc>, limit: u64) -> Result<Vec<OutboxEvent>, StoreError> {
        self.oldest_events(Condition::all().add(outbox_event::Column::CreatedAt.gte(since)), limit).await
    }
}

/// Why a delivery of a disabled channel was not sent.
pub const DISABLED_CHANNEL_ERROR: &str = "the channel was disabled before this was sent";

/// Marks the pending deliveries of these (disabled) channels failed, with the reason.
async fn fail_pending_of_disabled<C: ConnectionTrait>(db: &C, channels: &[Uuid]) -> Result<u64, StoreError> {
    let failed = delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(DeliveryState::Failed.as_str()))
        .col_expr(delivery::Column::LastError, Expr::value(DISABLED_CHANNEL_ERROR))
        .filter(delivery::Column::ChannelId.is_in(channels.iter().copied()))
        .filter(delivery::Column::Status.eq(DeliveryState::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(failed.rows_affected)
}

/// A new delivery row, due now.
#[allow(clippy::too_many_arguments)]
pub(crate) fn pending_delivery(
    ws: WorkspaceId,
    event_id: Uuid,
    now: DateTime<Utc>,
    target_kind: TargetKind,
    target: String,
    channel_id: Option<Uuid>,
    comment_id: Option<Uuid>,
    message_id: Option<String>,
) -> delivery::ActiveModel {
    delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(ws.0),
        event_id: Set(event_id),
        channel_id: Set(channel_id),
        comment_id: Set(comment_id),
        target_kind: Set(target_kind.as_str().to_owned()),
        target: Set(target),
        message_id: Set(message_id),
        status: Set(DeliveryState::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_attempt_at: Set(None),
        last_status_code: Set(None),
        last_error: Set(None),
        delivered_at: Set(None),
        created_at: Set(now),
    }
}

pub(crate) fn parse_state(raw: &str) -> Result<DeliveryState, StoreError> {
    raw.parse().map_err(|e: String| StoreError::CorruptRow(format!("delivery state: {e}")))
}

fn parse_event_type(raw: &str) -> Result<OutboxEventType, StoreError> {
    raw.parse().map_err(|e: String| StoreError::CorruptRow(format!("event type: {e}")))
}

/// The events of a type this version knows. The others (written by a newer version, or
/// corrupt) are left out with a warning, so that one of them cannot stop the delivery
/// worker, the listener or an event stream; their deliveries stay pending.
fn known_events(rows: impl IntoIterator<Item = outbox_event::Model>) -> impl Iterator<Item = OutboxEvent> {
    rows.into_iter().filter_map(|row| {
        let id = row.id;
        OutboxEvent::try_from(row)
            .inspect_err(|e| tracing::warn!(event = %id, error = %e, "event left out"))
            .ok()
    })
}

/// How far before a lost connection the listener replays: an event's time is taken in its
/// transaction, before the commit that notifies.
const LISTEN_REPLAY_MARGIN: Duration = Duration::seconds(30);
/// The most events a reconnecting listener replays.
const LISTEN_REPLAY_MAX: u64 = 1000;

fn listen_error(e: sea_orm::sqlx::Error) -> StoreError {
    StoreError::from(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e))))
}
