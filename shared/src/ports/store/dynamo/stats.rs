use super::*;

impl DynamoStore {
    pub(super) async fn record_stats(&self, event: &StatsEvent) -> Result<(), StoreError> {
        let expires = Timestamp::now()
            .saturating_add(jiff::SignedDuration::from_hours(STATS_RETENTION_DAYS * 24))
            .unwrap_or(Timestamp::MAX);
        let marker = values([
            ("PK", s(format!("STATSEV#{}", event.key))),
            ("SK", s("DONE")),
            ("entity", s("stats_event")),
            ("expires_at", n(expires.as_second())),
        ]);
        let mut items = vec![self.put(marker, "attribute_not_exists(PK)", None)?];
        let mut names = HashMap::new();
        let mut vals = values([(":day", s(&event.day))]);
        let mut adds = Vec::new();
        for (i, (name, by)) in event.counters.iter().enumerate() {
            names.insert(format!("#c{i}"), format!("c_{name}"));
            vals.insert(format!(":v{i}"), n(by));
            adds.push(format!("#c{i} :v{i}"));
        }
        if adds.is_empty() {
            return Ok(());
        }
        for scope in &event.scopes {
            let mut vals = vals.clone();
            vals.insert(":scope".into(), s(scope));
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(values([
                    ("PK", s(format!("STATS#{}", event.day))),
                    ("SK", s(format!("SCOPE#{scope}#{}", event.shard))),
                ])))
                .update_expression(format!(
                    "SET #day = :day, #scope = :scope ADD {}",
                    adds.join(", ")
                ))
                .set_expression_attribute_names(Some({
                    let mut names = names.clone();
                    names.insert("#day".into(), "day".into());
                    names.insert("#scope".into(), "scope".into());
                    names
                }))
                .set_expression_attribute_values(Some(vals))
                .build()
                .map_err(|e| StoreError::Rejected(e.to_string()))?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        match self.transact(items).await? {
            None => Ok(()),
            // Counted before (a retried outbox entry).
            Some(codes)
                if codes.first().and_then(|c| c.as_deref()) == Some("ConditionalCheckFailed") =>
            {
                Ok(())
            }
            Some(_) => Err(StoreError::Contended(format!("stats of {}", event.day))),
        }
    }

    pub(super) async fn stats(&self, day: &str) -> Result<Vec<StatsRow>, StoreError> {
        let shards = self
            .query_all(format!("STATS#{day}"), "SCOPE#", stats_from)
            .await?;
        let mut rows: BTreeMap<String, StatsRow> = BTreeMap::new();
        for shard in shards {
            let row = rows.entry(shard.scope.clone()).or_insert_with(|| StatsRow {
                day: shard.day.clone(),
                scope: shard.scope.clone(),
                counters: BTreeMap::new(),
            });
            for (name, v) in shard.counters {
                *row.counters.entry(name).or_default() += v;
            }
        }
        Ok(rows.into_values().collect())
    }
}

/// Reads `STATS#<day>` items (`SCOPE#<scope>#<shard>`), to be summed per scope.
pub(super) fn stats_from(item: &Item) -> Result<StatsRow, StoreError> {
    let r = Reader(item);
    let day = r.str("day")?.to_owned();
    let scope = r.str("scope")?.to_owned();
    let mut counters = BTreeMap::new();
    for (name, value) in item {
        if let Some(counter) = name.strip_prefix("c_")
            && let AttributeValue::N(v) = value
        {
            let v: i64 = v.parse().map_err(|_| {
                StoreError::Corrupt(format!("counter {name} is not a whole number"))
            })?;
            counters.insert(counter.to_owned(), v);
        }
    }
    Ok(StatsRow {
        day,
        scope,
        counters,
    })
}

/// Analytics events are remembered (for idempotency) this long.
pub(super) const STATS_RETENTION_DAYS: i64 = 400;
