use serde_json::{Value, json};

use super::*;
use crate::testkit::api::{HANDOFF, api};

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(csv.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn column(csv: &str, name: &str) -> Vec<String> {
    let all = rows(csv);
    let at = all[0].iter().position(|c| c == name).unwrap();
    all[1..].iter().map(|r| r[at].clone()).collect()
}

#[test]
fn cells_a_spreadsheet_would_run_as_formulas_are_prefixed() {
    for evil in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
        assert_eq!(safe_cell(evil), format!("'{evil}"));
    }
    for fine in ["billing", "4.5", "", "a=b", "c:1a2b"] {
        assert_eq!(safe_cell(fine), fine);
    }
}

#[test]
fn the_document_is_rfc_4180_with_quotes_commas_and_line_breaks_kept_inside_cells() {
    let csv = csv_document(
        &["a", "b"],
        [vec!["say \"hi\", then".to_owned(), "two\nlines".to_owned()]],
    )
    .unwrap();
    assert_eq!(csv, "a,b\r\n\"say \"\"hi\"\", then\",\"two\nlines\"\r\n");
    assert_eq!(rows(&csv)[1], ["say \"hi\", then", "two\nlines"]);
    let injected = csv_document(&["category"], [vec!["=cmd|' /C calc'!A0".to_owned()]]).unwrap();
    assert_eq!(rows(&injected)[1][0], "'=cmd|' /C calc'!A0");
}

#[tokio::test]
async fn a_supervisor_exports_the_queue_filtered_as_the_queue_without_message_text() {
    let a = api().await;
    let id = a.w.customer("wamid.1", HANDOFF).await;
    let other = a.w.customer_as("4917600000001", "wamid.2", HANDOFF).await;
    a.ok(
        "maria",
        "PATCH",
        &format!("/tickets/{other}"),
        json!({"priority": "urgent", "category": "=1+1"}),
    )
    .await;
    let r = a
        .call("maria", "GET", "/tickets/export.csv", Value::Null)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    let disposition = r.content_disposition().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"tickets-2026-11-24.csv\""),
        "{disposition}"
    );
    let csv = r.body_text();
    assert_eq!(rows(&csv)[0], TICKET_COLUMNS);
    let mut ids = column(&csv, "id");
    ids.sort();
    let mut want = vec![id.to_string(), other.to_string()];
    want.sort();
    assert_eq!(ids, want);
    assert!(!csv.contains(HANDOFF), "no message text");
    assert!(!csv.contains("4915112345678"), "numbers masked");
    // The masked number starts with `+`, which a spreadsheet would take for a formula.
    assert!(column(&csv, "customer").contains(&"'+49*******5678".to_owned()));
    assert!(column(&csv, "category").contains(&"'=1+1".to_owned()));
    assert_eq!(column(&csv, "status"), ["queued", "queued"]);

    // The queue's filters apply.
    let urgent = a
        .call(
            "maria",
            "GET",
            "/tickets/export.csv?priority=urgent",
            Value::Null,
        )
        .await
        .body_text();
    assert_eq!(column(&urgent, "id"), [other.to_string()]);
    // Tags: a column of their own, and the queue's tag filter.
    a.act("maria", &other, "tag", json!({"tag": "Call back"}))
        .await;
    a.act("maria", &other, "tag", json!({"tag": "vip"})).await;
    let tagged = a
        .call("maria", "GET", "/tickets/export.csv?tag=vip", Value::Null)
        .await;
    assert_eq!(tagged.status, 200, "{}", tagged.body_text());
    let tagged = tagged.body_text();
    assert_eq!(column(&tagged, "id"), [other.to_string()]);
    assert_eq!(column(&tagged, "tags").len(), 1);
    assert!(
        column(&tagged, "tags")[0].split(' ').any(|t| t == "vip"),
        "{tagged}"
    );
    let resolved = a
        .call(
            "maria",
            "GET",
            "/tickets/export.csv?status=resolved",
            Value::Null,
        )
        .await
        .body_text();
    assert_eq!(rows(&resolved).len(), 1, "the header only: {resolved}");
    // An opening range that excludes today's tickets.
    let earlier = a
        .call(
            "maria",
            "GET",
            "/tickets/export.csv?from=2026-01-01&to=2026-11-23",
            Value::Null,
        )
        .await
        .body_text();
    assert_eq!(rows(&earlier).len(), 1, "{earlier}");
}

#[tokio::test]
async fn agents_may_not_export_and_only_admins_get_full_numbers() {
    let a = api().await;
    a.w.customer("wamid.1", HANDOFF).await;
    for path in [
        "/tickets/export.csv",
        "/analytics/export.csv?from=2026-11-01&to=2026-11-24",
    ] {
        let r = a.call("tom", "GET", path, Value::Null).await;
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (403, Some("forbidden")),
            "{path}"
        );
    }
    a.answers(
        403,
        "maria",
        "GET",
        "/tickets/export.csv?phone=full",
        Value::Null,
    )
    .await;
    let full = a
        .call("root", "GET", "/tickets/export.csv?phone=full", Value::Null)
        .await;
    assert_eq!(full.status, 200, "{}", full.body);
    assert_eq!(column(&full.body_text(), "customer"), ["4915112345678"]);
    let r = a
        .call("maria", "GET", "/tickets/export.csv?phone=all", Value::Null)
        .await;
    assert_eq!(
        (r.status, r.body["fields"]["phone"].is_string()),
        (400, true)
    );
    // an unknown parameter is named
    a.answers(
        400,
        "maria",
        "GET",
        "/tickets/export.csv?limit=5",
        Value::Null,
    )
    .await;
}

#[tokio::test]
async fn an_export_larger_than_the_row_limit_is_refused_naming_the_filters() {
    let a = api().await;
    for n in 0..=MAX_EXPORT_ROWS {
        let n = i64::try_from(n).unwrap();
        crate::ports::store::query::tests::queued(
            &a.w.store,
            n,
            "support",
            crate::domain::bot::Priority::Normal,
        )
        .await;
    }
    let r = a
        .answers(422, "maria", "GET", "/tickets/export.csv", Value::Null)
        .await;
    assert_eq!(r["error"], "export_too_large");
    assert!(r["message"].as_str().unwrap().contains("from, to"));
}

#[tokio::test]
async fn the_analytics_export_has_a_row_per_day_with_the_dashboards_figures() {
    let a = api().await;
    let id = a.w.customer("wamid.1", HANDOFF).await;
    a.act("maria", &id, "reply", json!({"text": "Hallo"})).await;
    a.act("maria", &id, "resolve", Value::Null).await;
    let r = a
        .call(
            "maria",
            "GET",
            "/analytics/export.csv?from=2026-11-23&to=2026-11-25",
            Value::Null,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.content_disposition().unwrap(),
        "attachment; filename=\"analytics-2026-11-23-2026-11-25.csv\""
    );
    let csv = r.body_text();
    assert_eq!(rows(&csv)[0], ANALYTICS_COLUMNS);
    assert_eq!(
        column(&csv, "day"),
        ["2026-11-23", "2026-11-24", "2026-11-25"]
    );
    assert_eq!(column(&csv, "opened"), ["0", "1", "0"]);
    assert_eq!(column(&csv, "resolved"), ["0", "1", "0"]);
    assert_eq!(column(&csv, "first_response_count")[1], "1");
    assert_eq!(column(&csv, "bot_resolution_rate")[1], "0.0000");
    // The same figures as the dashboard's report of that day.
    let day = a
        .ok(
            "maria",
            "GET",
            "/analytics?from=2026-11-24&to=2026-11-24",
            Value::Null,
        )
        .await;
    assert_eq!(column(&csv, "handed_off")[1], day["handed_off"].to_string());
}

#[tokio::test]
async fn the_analytics_range_is_validated() {
    let a = api().await;
    for (query, field) in [
        ("from=2026-11-24", "to"),
        ("to=2026-11-24", "from"),
        ("from=2026-11-25&to=2026-11-24", "to"),
        ("from=2025-01-01&to=2026-11-24", "to"),
        ("from=24.11.2026&to=2026-11-24", "from"),
        ("from=2026-11-01&to=2026-11-24&scope=everyone", "scope"),
    ] {
        let r = a
            .call(
                "maria",
                "GET",
                &format!("/analytics/export.csv?{query}"),
                Value::Null,
            )
            .await;
        assert_eq!(r.status, 400, "{query}: {}", r.body["message"]);
        assert!(r.body["fields"][field].is_string(), "{query}: {}", r.body);
    }
    let year = a
        .call(
            "maria",
            "GET",
            "/analytics/export.csv?from=2025-11-25&to=2026-11-24",
            Value::Null,
        )
        .await;
    assert_eq!(year.status, 200, "366 days: {}", year.body);
    assert_eq!(rows(&year.body_text()).len(), 366);
}
