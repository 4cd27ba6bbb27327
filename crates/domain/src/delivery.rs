//! Deliveries of the outbox: what a delivery is sent to, and the one state enum shared by
//! webhook and Slack posts, e-mail pings and replies.

use std::fmt;
use std::str::FromStr;

string_enum!(
    /// Where a delivery goes (`deliveries.target_kind`); `target` holds the URL or address.
    TargetKind {
        /// A signed JSON `POST` to a webhook channel's URL.
        Webhook = "webhook",
        /// A Slack-compatible incoming webhook.
        Slack = "slack",
        /// A ping mailed to an e-mail channel's address.
        Email = "email",
        /// A reply mailed to a ticket's requester.
        Reply = "reply",
    }
);

string_enum!(
    /// A delivery's state: `pending` (waiting, or retrying after a failure), `delivered`, or
    /// `failed` (retries ended after 24 hours).
    DeliveryState {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
);
