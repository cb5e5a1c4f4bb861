use super::*;

impl MemoryStore {
    pub(super) async fn record_stats(&self, event: &StatsEvent) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        if !state.stats_applied.insert(event.key.clone()) {
            return Ok(());
        }
        for scope in &event.scopes {
            let counters = state
                .stats
                .entry((event.day.clone(), scope.clone()))
                .or_default();
            for (name, by) in &event.counters {
                *counters.entry(name.clone()).or_default() += by;
            }
        }
        Ok(())
    }

    pub(super) async fn stats(&self, day: &str) -> Result<Vec<StatsRow>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .stats
            .iter()
            .filter(|((d, _), _)| d == day)
            .map(|((day, scope), counters)| StatsRow {
                day: day.clone(),
                scope: scope.clone(),
                counters: counters.clone(),
            })
            .collect())
    }
}
