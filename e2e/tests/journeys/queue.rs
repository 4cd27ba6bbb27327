//! Working the queue in the browser, on the real `ticketd serve --demo`: the list sorted by
//! what is due shows the demo's breached ticket first with its SLA badge; a saved view
//! appears in the sidebar with its count and opens the list it names; several tickets ticked
//! and closed with the action bar leave the list; "select all N matching" closes the rest by
//! a job whose progress the bar shows; "Export CSV" downloads the list's CSV.

use super::*;

const BREACHED: &str = "Refund for order #5521 not received";
const DUE_SOON: &str = "Checkout crashes on Safari 17";

async fn rows(driver: &WebDriver) -> Vec<WebElement> {
    driver.find_all(By::Css("table.ticket-table tbody tr")).await.unwrap()
}

async fn row_count(driver: &WebDriver) -> usize {
    rows(driver).await.len()
}

async fn select(driver: &WebDriver, id: &str, value: &str) {
    let el = driver.find(By::Id(id)).await.unwrap();
    SelectElement::new(&el).await.unwrap().select_by_value(value).await.unwrap();
}

#[tokio::test]
#[ignore = "needs the built app and Chromium: run ./scripts/test.sh"]
async fn operator_works_the_queue_by_due_time_views_bulk_edit_and_export() {
    let download_dir = temp_dir("downloads");
    let (_server, base) = start_ticketd();
    let (_chromedriver, driver) = start_browser_downloading_to(&download_dir).await;
    sign_in(&driver, &base).await;
    wait_text(&driver, By::Id("total"), "9 tickets").await;

    // What breaches next: by due time, the breached refund first, then the crash due soon.
    select(&driver, "f-sort", "due").await;
    eventually("the URL to carry sort=due", || async { current_url(&driver).await.contains("sort=due") })
        .await;
    wait_text(&driver, By::Css("table.ticket-table tbody tr:first-child .subject"), BREACHED).await;
    let first = text_of(&driver, By::Css("table.ticket-table tbody tr:first-child .sla-cell")).await;
    assert!(first.contains("breached") && first.contains("ago"), "the first row's SLA badge: {first:?}");
    let second = text_of(&driver, By::Css("table.ticket-table tbody tr:nth-child(2)")).await;
    assert!(second.contains(DUE_SOON) && second.contains("due in"), "the second row: {second:?}");
    // The SLA filter narrows to the breached ones.
    select(&driver, "f-sla", "breached").await;
    wait_text(&driver, By::Id("total"), "1 ticket").await;
    assert_controls_labelled(&driver, "the list with its views and filters").await;

    // Save this filter as a view: it appears in the sidebar with its count; it opens the list.
    driver.find(By::Id("view-name")).await.unwrap().send_keys("Breached").await.unwrap();
    driver.find(By::Id("save-view")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Css("#view-list li[data-view='Breached']"), "1").await;
    select(&driver, "f-sla", "").await;
    wait_text(&driver, By::Id("total"), "9 tickets").await;
    driver.find(By::Css("#view-list li[data-view='Breached'] a")).await.unwrap().click().await.unwrap();
    eventually("the view's URL", || async { current_url(&driver).await.contains("sla=breached") }).await;
    wait_text(&driver, By::Id("total"), "1 ticket").await;
    wait_text(&driver, By::Css("table.ticket-table tbody"), BREACHED).await;

    // Tick three rows of the default list and close them: they leave the list.
    driver.goto(format!("{base}/app/tickets")).await.unwrap();
    wait_text(&driver, By::Id("total"), "9 tickets").await;
    let mut picked = Vec::new();
    for row in rows(&driver).await.into_iter().take(3) {
        picked.push(row.attr("data-reference").await.unwrap().unwrap());
        row.find(By::Css("td.pick input")).await.unwrap().click().await.unwrap();
    }
    wait_text(&driver, By::Id("selected-count"), "3 selected").await;
    // The screenshot for the README: views, SLA badges, three rows ticked, the action bar.
    let shots = repo_root().join("target/e2e");
    std::fs::create_dir_all(&shots).unwrap();
    driver.screenshot(&shots.join("ticket-queue.png")).await.unwrap();
    select(&driver, "bulk-status", "closed").await;
    driver.find(By::Id("bulk-apply")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("bulk-outcome"), "3 tickets changed").await;
    wait_text(&driver, By::Id("total"), "6 tickets").await;
    let table = text_of(&driver, By::Css("table.ticket-table")).await;
    for reference in &picked {
        assert!(!table.contains(reference.as_str()), "{reference} left the list: {table}");
    }
    assert!(!driver.query(By::Id("selected-count")).nowait().exists().await.unwrap(), "nothing selected");

    // More low-priority tickets than a page holds: tick the page, then "select all N
    // matching", and close them all: a job does it, the bar shows its progress.
    let token = api_token(&base).await;
    let http = reqwest::Client::new();
    for n in 1..=30 {
        let r = http
            .post(format!("{base}/api/v1/tickets"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"subject": format!("Batch question {n}"), "body": "From the API.", "priority": "low"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    select(&driver, "f-priority", "low").await;
    // 30 new ones and the demo's resolved feature request (the closed spam is not listed).
    wait_text(&driver, By::Id("total"), "31 tickets").await;
    assert_eq!(row_count(&driver).await, 25, "one page");
    driver.find(By::Id("pick-page")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("selected-count"), "25 selected").await;
    driver.find(By::Id("select-all-matching")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("selected-count"), "All 31 matching selected").await;
    select(&driver, "bulk-status", "closed").await;
    driver.find(By::Id("bulk-apply")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("bulk-outcome"), "Done: 31 of 31 tickets changed.").await;
    wait_text(&driver, By::Id("no-tickets"), "No tickets match").await;

    // Export the list of normal-priority tickets as CSV: a header row and one line each.
    select(&driver, "f-priority", "normal").await;
    eventually("the priority filter", || async { current_url(&driver).await.contains("priority=normal") })
        .await;
    // The list has settled when its rows match its total ("N tickets").
    eventually("the normal tickets", || async {
        let total = text_of(&driver, By::Id("total")).await;
        let n: usize = total.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        n > 0 && row_count(&driver).await == n
    })
    .await;
    let normal = row_count(&driver).await;
    driver.find(By::Id("export-csv")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Id("export-status"), "Downloaded").await;
    let csv = eventually_file(&download_dir, ".csv").await;
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("reference,subject,status,priority"), "{csv}");
    assert_eq!(lines.filter(|l| !l.is_empty()).count(), normal, "one line per listed ticket: {csv}");

    // SLA settings (admins): a bad time zone is refused next to its field, a good policy is
    // saved and is what the API then serves.
    driver.goto(format!("{base}/app/settings")).await.unwrap();
    let first = driver
        .query(By::Id("sla-urgent-first"))
        .wait(WAIT, Duration::from_millis(100))
        .first()
        .await
        .unwrap();
    first.clear().await.unwrap();
    first.send_keys("30").await.unwrap();
    driver.find(By::Id("sla-hours-on")).await.unwrap().click().await.unwrap();
    let zone =
        driver.query(By::Id("sla-timezone")).wait(WAIT, Duration::from_millis(100)).first().await.unwrap();
    zone.clear().await.unwrap();
    zone.send_keys("Mars/Olympus").await.unwrap();
    let monday = driver.find(By::Id("sla-day-mon")).await.unwrap();
    monday.clear().await.unwrap();
    monday.send_keys("08:00-16:00").await.unwrap();
    driver.find(By::XPath("//button[text()='Save SLA targets']")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Css(".sla-hours"), "Mars/Olympus").await;
    eventually("the time zone's error", || async {
        text_of(&driver, By::Css(".sla-hours")).await.to_lowercase().contains("time zone")
    })
    .await;
    zone.clear().await.unwrap();
    zone.send_keys("Europe/Berlin").await.unwrap();
    driver.find(By::XPath("//button[text()='Save SLA targets']")).await.unwrap().click().await.unwrap();
    wait_text(&driver, By::Css("section[aria-labelledby='sla-title'] .save-state"), "Saved").await;
    let policy: serde_json::Value = http
        .get(format!("{base}/api/v1/sla-policy"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(policy["targets"]["urgent"]["first_response_minutes"], 30, "{policy}");
    assert_eq!(policy["business_hours"]["timezone"], "Europe/Berlin", "{policy}");
    assert_eq!(policy["business_hours"]["week"]["mon"], serde_json::json!([["08:00", "16:00"]]), "{policy}");

    assert_no_console_errors(&driver, &["status of 422"]).await;
    driver.quit().await.unwrap();
}

/// Waits for a finished download ending in `suffix` in `dir` and reads it.
async fn eventually_file(dir: &Path, suffix: &str) -> String {
    let mut found = None;
    eventually("the download", || {
        let hit = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(suffix));
        found = hit.clone();
        async move { hit.is_some() }
    })
    .await;
    std::fs::read_to_string(found.unwrap()).unwrap()
}
