//! The ticket thread in the browser: the real `ticketd serve --demo` sending mail to a real
//! SMTP server process (scripts/smtp-catcher.sh, aiosmtpd). An operator reads the demo's
//! thread, answers the customer with Ctrl+Enter and sees the reply in the thread with its
//! delivery state ("Sending…", then "Sent HH:MM" once the SMTP server took the mail, which
//! the test reads back), adds an internal note (styled as internal), keeps a typed draft
//! while a customer comment posted through the API appears live, and sees the API's refusals
//! (a reply without a requester address, a bad address) with the draft kept.

use test_support::SmtpCatcher;

use super::*;

const THREAD_TICKET: &str = "ACME-11";
const REQUESTER_EMAIL: &str = "lena.fischer@globex.example";

async fn last(driver: &WebDriver, css: &str) -> WebElement {
    let all = driver.find_all(By::Css(css)).await.unwrap();
    all.last().cloned().unwrap_or_else(|| panic!("no {css} on the page"))
}

async fn textarea_value(driver: &WebDriver) -> String {
    driver.find(By::Id("composer-body")).await.unwrap().prop("value").await.unwrap().unwrap_or_default()
}

async fn type_draft(driver: &WebDriver, text: &str) {
    let body = driver.find(By::Id("composer-body")).await.unwrap();
    body.click().await.unwrap();
    body.send_keys(text).await.unwrap();
}

async fn ctrl_enter(driver: &WebDriver) {
    driver
        .action_chain()
        .key_down(Key::Control)
        .send_keys(Key::Enter)
        .key_up(Key::Control)
        .perform()
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs the built app, Chromium and python3 (aiosmtpd): run ./scripts/test.sh"]
async fn operator_answers_the_customer_from_the_ticket_thread() {
    let catcher = SmtpCatcher::start();
    let smtp_url = catcher.url();
    let (_server, base) = start_ticketd_with(&[
        ("TICKETD_SMTP_URL", smtp_url.as_str()),
        ("TICKETD_MAIL_FROM", "Acme Support <support@acme.test>"),
    ]);
    let (_chromedriver, driver) = start_browser().await;
    sign_in(&driver, &base).await;

    // The demo's thread: a reply that was sent, an internal note, the customer's answer.
    driver.goto(format!("{base}/app/tickets/{THREAD_TICKET}")).await.unwrap();
    wait_text(&driver, By::Id("fact-requester"), REQUESTER_EMAIL).await;
    driver.query(By::Css("#thread .comment")).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();
    let kinds: Vec<String> = {
        let mut kinds = Vec::new();
        for li in driver.find_all(By::Css("#thread .comment")).await.unwrap() {
            kinds.push(li.attr("data-kind").await.unwrap().unwrap_or_default());
        }
        kinds
    };
    assert_eq!(kinds, ["reply", "note", "customer"], "the demo thread, oldest first");
    let seeded = driver.find(By::Css("#thread .comment-reply .delivery")).await.unwrap();
    assert_eq!(seeded.attr("data-state").await.unwrap().as_deref(), Some("sent"));
    assert!(seeded.text().await.unwrap().starts_with("Sent "));
    // The thread sits in the left column, the chat stays on the right.
    let thread = driver.find(By::Id("thread")).await.unwrap().rect().await.unwrap();
    let chat = driver.find(By::Css(".chat-pane")).await.unwrap().rect().await.unwrap();
    assert!(chat.x > thread.x + thread.width - 1.0, "thread left of the chat: {thread:?} {chat:?}");
    assert_controls_labelled(&driver, "the ticket page with its thread").await;

    // A reply, sent with Ctrl+Enter: in the thread at once with its delivery state.
    eventually("the reply tab to be chosen", || async {
        driver.find(By::Id("kind-reply")).await.unwrap().is_selected().await.unwrap_or(false)
    })
    .await;
    let reply = "Hi Lena, our legal team signed the DPA today. The migration can start on Monday.";
    type_draft(&driver, reply).await;
    ctrl_enter(&driver).await;
    wait_text(&driver, By::Id("composer-state"), &format!("Reply queued for {REQUESTER_EMAIL}")).await;
    wait_text(&driver, By::Id("thread"), reply).await;
    let state = last(&driver, "#thread .comment-reply .delivery").await.attr("data-state").await.unwrap();
    assert!(matches!(state.as_deref(), Some("sending" | "sent")), "a new reply's delivery: {state:?}");
    assert_eq!(textarea_value(&driver).await, "", "the sent draft is cleared");
    // The mail itself: the SMTP server process gets it, addressed to the requester and
    // threaded under the ticket's reference; the reply's state turns "Sent HH:MM" live.
    let mails = catcher.wait_for(1, WAIT).await;
    let mail = mails.last().unwrap();
    assert_eq!(mail.rcpt_tos, [REQUESTER_EMAIL]);
    assert!(mail.header("Subject").unwrap_or_default().contains("[ACME-11]"), "{:?}", mail.header("Subject"));
    assert!(mail.text.as_deref().unwrap_or_default().contains(reply), "{:?}", mail.text);
    eventually("the reply's delivery to read Sent", || async {
        let delivery = last(&driver, "#thread .comment-reply .delivery").await;
        delivery.attr("data-state").await.ok().flatten().as_deref() == Some("sent")
            && delivery.text().await.unwrap_or_default().starts_with("Sent ")
    })
    .await;

    // An internal note: chosen with the keyboard-reachable radio, styled apart.
    driver.find(By::Id("kind-note")).await.unwrap().click().await.unwrap();
    assert!(driver.find(By::Id("kind-note")).await.unwrap().is_selected().await.unwrap());
    wait_text(&driver, By::Id("composer-send"), "Add note").await;
    let note = "Lena prefers e-mail over phone. Legal contact: dpa@globex.example.";
    type_draft(&driver, note).await;
    ctrl_enter(&driver).await;
    wait_text(&driver, By::Id("composer-state"), "Internal note added").await;
    let note_li = last(&driver, "#thread .comment").await;
    assert!(note_li.text().await.unwrap().contains(note));
    assert_eq!(note_li.attr("data-kind").await.unwrap().as_deref(), Some("note"));
    assert!(note_li.text().await.unwrap().to_uppercase().contains("INTERNAL NOTE"));
    assert!(note_li.find(By::Css(".delivery")).await.is_err(), "a note has no delivery");
    let reply_li = last(&driver, "#thread .comment-reply").await;
    let note_bg = note_li.css_value("background-color").await.unwrap();
    let reply_bg = reply_li.css_value("background-color").await.unwrap();
    assert_ne!(note_bg, reply_bg, "a note is tinted apart from replies");

    // A customer comment posted through the API appears live; the typed draft stays.
    eventually("the live stream to be open", || async {
        match driver.query(By::Id("live-status")).nowait().first_opt().await {
            Ok(Some(e)) => e.attr("data-live").await.ok().flatten().as_deref() == Some("true"),
            _ => false,
        }
    })
    .await;
    let draft = "Half-written answer that must survive";
    type_draft(&driver, draft).await;
    let token = api_token(&base).await;
    let customer = "Thanks! Monday works for us. Lena";
    let posted = reqwest::Client::new()
        .post(format!("{base}/api/v1/tickets/{THREAD_TICKET}/comments"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"kind": "customer", "body": customer}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    wait_text(&driver, By::Id("thread"), customer).await;
    assert_eq!(
        last(&driver, "#thread .comment").await.attr("data-kind").await.unwrap().as_deref(),
        Some("customer")
    );
    assert_eq!(textarea_value(&driver).await, draft, "the draft survives the live update");
    assert!(driver.find(By::Id("kind-note")).await.unwrap().is_selected().await.unwrap());
    // The screenshot for the README: the thread in view, the chat beside it.
    driver.execute("document.getElementById('requester').scrollIntoView();", vec![]).await.unwrap();
    std::fs::create_dir_all(repo_root().join("target/e2e")).unwrap();
    driver.screenshot(&repo_root().join("target/e2e/ticket-thread.png")).await.unwrap();
    assert_no_console_errors(&driver, &[]).await;

    // A ticket without a requester address: a reply is refused (422 `requester`) with the
    // API's sentence, and the draft is kept; once an address is set (a bad one is refused on
    // the field), the same draft goes out.
    driver.goto(format!("{base}/app/tickets/ACME-1")).await.unwrap();
    driver.query(By::Id("composer-body")).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();
    wait_text(&driver, By::Id("fact-requester"), "Unknown").await;
    driver.find(By::Id("kind-reply")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("composer-no-email"), "no requester e-mail").await;
    let answer = "We have found your refund: it was sent back on May 20.";
    type_draft(&driver, answer).await;
    driver.find(By::Id("composer-send")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("composer-error"), "requester").await;
    wait_text(&driver, By::Id("composer-error"), "Your draft is kept").await;
    assert_eq!(textarea_value(&driver).await, answer);
    driver.find(By::Id("req-edit")).await.unwrap().click().await.unwrap();
    let email =
        driver.query(By::Id("req-email")).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();
    email.send_keys("not-an-address").await.unwrap();
    driver.find(By::Id("req-save")).await.unwrap().click().await.unwrap();
    eventually("the 422 on the e-mail field", || async {
        !text_of(&driver, By::Css("#requester .field-error")).await.is_empty()
    })
    .await;
    email.clear().await.unwrap();
    email.send_keys("refunds@customer.example").await.unwrap();
    driver.find(By::Id("req-save")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("fact-requester"), "refunds@customer.example").await;
    assert_eq!(textarea_value(&driver).await, answer, "the draft survives the requester edit");
    driver.find(By::Id("composer-send")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("thread"), answer).await;
    assert_controls_labelled(&driver, "the ticket page with its thread").await;
    // Chromium logs the refused requests (422) itself; nothing else may go wrong.
    assert_no_console_errors(&driver, &["status of 422"]).await;
    driver.quit().await.unwrap();
}
