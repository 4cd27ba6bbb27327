//! Demo data: the "Acme Support" workspace with an admin, an operator and tickets in every
//! status, so that a newcomer has something to click through.

use anyhow::Context;
use domain::auth::Role;
use domain::ticket::{NewTicket, Priority, Source, Status, TicketKey, TicketPatch};
use domain::workspace::{Email, NewPassword, TicketPrefix};
use store::tickets::{Dedupe, NewTicketInput};
use store::{Actor, Store};

pub const DEMO_ADMIN_EMAIL: &str = "admin@acme.test";
pub const DEMO_ADMIN_PASSWORD: &str = "acme-admin-pass";
pub const DEMO_OPERATOR_EMAIL: &str = "operator@acme.test";
pub const DEMO_OPERATOR_PASSWORD: &str = "acme-operator-pass";

pub struct Demo {
    pub tickets: usize,
}

impl Demo {
    pub fn credentials(&self) -> String {
        format!(
            "  demo workspace: Acme Support (prefix ACME), {} tickets\n  sign in as admin:    {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}\n  sign in as operator: {DEMO_OPERATOR_EMAIL} / {DEMO_OPERATOR_PASSWORD}",
            self.tickets
        )
    }
}

/// (subject, body, priority, final status, assigned to the operator)
const TICKETS: &[(&str, &str, Priority, Status, bool)] = &[
    (
        "Refund for order #5521 not received",
        "Visitor paid twice for order #5521 on May 2 and asked for a refund of the duplicate charge. Bank statement attached in chat.",
        Priority::High,
        Status::Open,
        false,
    ),
    (
        "Cannot reset password: link expired",
        "Account jane@example.com. The reset link says it expired immediately after requesting it. Tried three times, in two browsers.",
        Priority::Normal,
        Status::Open,
        false,
    ),
    (
        "Checkout crashes on Safari 17",
        "Clicking Pay on the checkout page shows a blank screen on Safari 17 (macOS). Works in Chrome. Cart id C-99812.",
        Priority::Urgent,
        Status::Pending,
        true,
    ),
    (
        "Invoice shows wrong VAT number",
        "Company ACME GmbH, invoice INV-2026-0412 lists VAT DE123 instead of DE456. Needs a corrected invoice for accounting.",
        Priority::Normal,
        Status::Pending,
        true,
    ),
    (
        "Feature request: export tickets as CSV",
        "Visitor would like to export their support history as CSV for an audit.",
        Priority::Low,
        Status::Resolved,
        true,
    ),
    (
        "Double charge on subscription renewal",
        "Annual plan renewed twice on June 1 (order #6120 and #6121). Refunded the second charge.",
        Priority::High,
        Status::Resolved,
        false,
    ),
    (
        "Spam: win a free cruise",
        "Automated message with a suspicious link, no real request.",
        Priority::Low,
        Status::Closed,
        false,
    ),
    (
        "Shipping address change for order #7001",
        "Visitor moved and asked to ship order #7001 to the new address; updated before dispatch.",
        Priority::Normal,
        Status::Closed,
        true,
    ),
];

pub async fn seed_demo(store: &Store) -> anyhow::Result<Demo> {
    let prefix = TicketPrefix::parse("ACME").map_err(anyhow::Error::msg)?;
    let admin_email = Email::parse(DEMO_ADMIN_EMAIL).map_err(anyhow::Error::msg)?;
    let admin_password = NewPassword::parse(DEMO_ADMIN_PASSWORD).map_err(anyhow::Error::msg)?;
    let (ws, admin) = store
        .create_workspace("Acme Support", &prefix, &admin_email, "Alex Admin", &admin_password)
        .await
        .context("cannot create the demo workspace (does ACME exist already?)")?;
    let operator_email = Email::parse(DEMO_OPERATOR_EMAIL).map_err(anyhow::Error::msg)?;
    let operator_password = NewPassword::parse(DEMO_OPERATOR_PASSWORD).map_err(anyhow::Error::msg)?;
    let operator = store
        .create_member("ACME", &operator_email, "Olivia Operator", &operator_password, Role::Operator)
        .await?;

    for (subject, body, priority, status, assigned) in TICKETS {
        let input = NewTicketInput::new(
            NewTicket::parse(subject, body, Some(*priority))?,
            Source::Api,
            Actor::User(admin.user.id),
        );
        let (ticket, _) = store.create_ticket(ws.id, input, Dedupe::None).await?;
        let key = TicketKey::Id(ticket.id);
        if *assigned {
            let patch = TicketPatch { assignee: Some(Some(operator.user.id)), ..Default::default() };
            store.update_ticket(ws.id, &key, &patch, Actor::User(admin.user.id)).await?;
        }
        if *status != Status::Open && *status != Status::Pending {
            let patch = TicketPatch { status: Some(*status), ..Default::default() };
            store.update_ticket(ws.id, &key, &patch, Actor::User(operator.user.id)).await?;
        }
    }
    Ok(Demo { tickets: TICKETS.len() })
}
