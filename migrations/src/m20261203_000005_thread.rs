//! The ticket thread: the requester and `first_responded_at` on tickets, the
//! `ticket_comments` table, and channels and deliveries that are no longer webhooks only: an
//! `email` channel kind (an address instead of a URL and secret), and deliveries that carry
//! their own target (the URL or address they were queued for), may belong to a comment
//! instead of a channel (a reply mailed to the requester), and keep a Message-ID that stays
//! the same on every retry. Existing channels and deliveries are kept; SQLite cannot change a
//! column's constraints, so there the two tables are rebuilt.

use sea_orm_migration::prelude::*;

use crate::by_backend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        by_backend(manager, POSTGRES_UP, SQLITE_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        by_backend(manager, POSTGRES_DOWN, SQLITE_DOWN).await
    }
}

const POSTGRES_UP: &str = r#"
ALTER TABLE tickets ADD COLUMN requester_name text;
ALTER TABLE tickets ADD COLUMN requester_email text;
ALTER TABLE tickets ADD COLUMN first_responded_at timestamptz;

CREATE TABLE ticket_comments (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    ticket_id uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('note', 'reply', 'customer')),
    author_type text NOT NULL CHECK (author_type IN ('user', 'requester', 'token')),
    author_id uuid,
    author_name text,
    author_email text,
    body text NOT NULL,
    message_id text,
    created_at timestamptz NOT NULL
);
CREATE INDEX ticket_comments_thread ON ticket_comments (ticket_id, created_at, id);
CREATE UNIQUE INDEX ticket_comments_message_id ON ticket_comments (workspace_id, message_id)
    WHERE message_id IS NOT NULL;

ALTER TABLE notification_channels DROP CONSTRAINT IF EXISTS notification_channels_kind_check;
ALTER TABLE notification_channels ALTER COLUMN url DROP NOT NULL;
ALTER TABLE notification_channels ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE notification_channels ADD COLUMN address text;
ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_kind_check
    CHECK (kind IN ('webhook', 'slack', 'email'));
ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_target_check
    CHECK ((kind IN ('webhook', 'slack') AND url IS NOT NULL AND secret IS NOT NULL)
        OR (kind = 'email' AND address IS NOT NULL));

ALTER TABLE deliveries ALTER COLUMN channel_id DROP NOT NULL;
ALTER TABLE deliveries ADD COLUMN comment_id uuid REFERENCES ticket_comments (id) ON DELETE CASCADE;
ALTER TABLE deliveries ADD COLUMN target_kind text;
ALTER TABLE deliveries ADD COLUMN target text;
ALTER TABLE deliveries ADD COLUMN message_id text;
UPDATE deliveries SET target_kind = c.kind, target = c.url
    FROM notification_channels c WHERE c.id = deliveries.channel_id;
ALTER TABLE deliveries ALTER COLUMN target_kind SET NOT NULL;
ALTER TABLE deliveries ALTER COLUMN target SET NOT NULL;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_target_kind_check
    CHECK (target_kind IN ('webhook', 'slack', 'email', 'reply'));
ALTER TABLE deliveries ADD CONSTRAINT deliveries_owner_check
    CHECK ((target_kind = 'reply' AND comment_id IS NOT NULL)
        OR (target_kind <> 'reply' AND channel_id IS NOT NULL));
CREATE INDEX deliveries_comment ON deliveries (comment_id) WHERE comment_id IS NOT NULL;
"#;

/// The rebuild renames the old tables first: SQLite then points the old deliveries' foreign
/// key at the renamed channels, so dropping them afterwards cascades into nothing new.
const SQLITE_UP: &str = r#"
ALTER TABLE tickets ADD COLUMN requester_name TEXT;
ALTER TABLE tickets ADD COLUMN requester_email TEXT;
ALTER TABLE tickets ADD COLUMN first_responded_at TEXT;

CREATE TABLE ticket_comments (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    ticket_id BLOB NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('note', 'reply', 'customer')),
    author_type TEXT NOT NULL CHECK (author_type IN ('user', 'requester', 'token')),
    author_id BLOB,
    author_name TEXT,
    author_email TEXT,
    body TEXT NOT NULL,
    message_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ticket_comments_thread ON ticket_comments (ticket_id, created_at, id);
CREATE UNIQUE INDEX ticket_comments_message_id ON ticket_comments (workspace_id, message_id)
    WHERE message_id IS NOT NULL;

DROP INDEX deliveries_due;
DROP INDEX deliveries_channel;
DROP INDEX notification_channels_workspace;
ALTER TABLE deliveries RENAME TO deliveries_old;
ALTER TABLE notification_channels RENAME TO notification_channels_old;

CREATE TABLE notification_channels (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    url TEXT,
    events TEXT NOT NULL,
    secret TEXT,
    address TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK ((kind IN ('webhook', 'slack') AND url IS NOT NULL AND secret IS NOT NULL)
        OR (kind = 'email' AND address IS NOT NULL))
);
INSERT INTO notification_channels (id, workspace_id, kind, url, events, secret, address, enabled, created_at, updated_at)
    SELECT id, workspace_id, kind, url, events, secret, NULL, enabled, created_at, updated_at
    FROM notification_channels_old;

CREATE TABLE deliveries (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    event_id BLOB NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    channel_id BLOB REFERENCES notification_channels (id) ON DELETE CASCADE,
    comment_id BLOB REFERENCES ticket_comments (id) ON DELETE CASCADE,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('webhook', 'slack', 'email', 'reply')),
    target TEXT NOT NULL,
    message_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status_code INTEGER,
    last_error TEXT,
    delivered_at TEXT,
    created_at TEXT NOT NULL,
    CHECK ((target_kind = 'reply' AND comment_id IS NOT NULL)
        OR (target_kind <> 'reply' AND channel_id IS NOT NULL))
);
INSERT INTO deliveries (id, workspace_id, event_id, channel_id, comment_id, target_kind, target, message_id,
        status, attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, delivered_at, created_at)
    SELECT d.id, d.workspace_id, d.event_id, d.channel_id, NULL, c.kind, c.url, NULL,
        d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error,
        d.delivered_at, d.created_at
    FROM deliveries_old d JOIN notification_channels_old c ON c.id = d.channel_id;

DROP TABLE deliveries_old;
DROP TABLE notification_channels_old;

CREATE INDEX notification_channels_workspace ON notification_channels (workspace_id, created_at);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_channel ON deliveries (channel_id, created_at DESC);
CREATE INDEX deliveries_comment ON deliveries (comment_id) WHERE comment_id IS NOT NULL;
"#;

/// Down drops what cannot go back: e-mail channels, and reply deliveries with their comments.
const POSTGRES_DOWN: &str = r#"
DELETE FROM deliveries WHERE channel_id IS NULL;
DROP INDEX IF EXISTS deliveries_comment;
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_owner_check;
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_target_kind_check;
ALTER TABLE deliveries DROP COLUMN message_id;
ALTER TABLE deliveries DROP COLUMN target;
ALTER TABLE deliveries DROP COLUMN target_kind;
ALTER TABLE deliveries DROP COLUMN comment_id;
DELETE FROM notification_channels WHERE kind = 'email';
ALTER TABLE deliveries ALTER COLUMN channel_id SET NOT NULL;
ALTER TABLE notification_channels DROP CONSTRAINT IF EXISTS notification_channels_target_check;
ALTER TABLE notification_channels DROP CONSTRAINT IF EXISTS notification_channels_kind_check;
ALTER TABLE notification_channels DROP COLUMN address;
ALTER TABLE notification_channels ALTER COLUMN url SET NOT NULL;
ALTER TABLE notification_channels ALTER COLUMN secret SET NOT NULL;
ALTER TABLE notification_channels ADD CONSTRAINT notification_channels_kind_check
    CHECK (kind IN ('webhook', 'slack'));
DROP TABLE IF EXISTS ticket_comments;
ALTER TABLE tickets DROP COLUMN first_responded_at;
ALTER TABLE tickets DROP COLUMN requester_email;
ALTER TABLE tickets DROP COLUMN requester_name;
"#;

const SQLITE_DOWN: &str = r#"
DROP INDEX deliveries_due;
DROP INDEX deliveries_channel;
DROP INDEX deliveries_comment;
DROP INDEX notification_channels_workspace;
ALTER TABLE deliveries RENAME TO deliveries_new;
ALTER TABLE notification_channels RENAME TO notification_channels_new;
CREATE TABLE notification_channels (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'slack')),
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO notification_channels (id, workspace_id, kind, url, events, secret, enabled, created_at, updated_at)
    SELECT id, workspace_id, kind, url, events, secret, enabled, created_at, updated_at
    FROM notification_channels_new WHERE kind IN ('webhook', 'slack');
CREATE TABLE deliveries (
    id BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    event_id BLOB NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    channel_id BLOB NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_status_code INTEGER,
    last_error TEXT,
    delivered_at TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO deliveries (id, workspace_id, event_id, channel_id, status, attempts, next_attempt_at,
        last_attempt_at, last_status_code, last_error, delivered_at, created_at)
    SELECT d.id, d.workspace_id, d.event_id, d.channel_id, d.status, d.attempts, d.next_attempt_at,
        d.last_attempt_at, d.last_status_code, d.last_error, d.delivered_at, d.created_at
    FROM deliveries_new d JOIN notification_channels c ON c.id = d.channel_id;
DROP TABLE deliveries_new;
DROP TABLE notification_channels_new;
CREATE INDEX notification_channels_workspace ON notification_channels (workspace_id, created_at);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_channel ON deliveries (channel_id, created_at DESC);
DROP TABLE IF EXISTS ticket_comments;
ALTER TABLE tickets DROP COLUMN first_responded_at;
ALTER TABLE tickets DROP COLUMN requester_email;
ALTER TABLE tickets DROP COLUMN requester_name;
"#;
