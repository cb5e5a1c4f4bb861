use super::*;
use crate::ports::store::{AuditRecord, audit_sort_key};

impl MemoryStore {
    pub(super) async fn record_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let key = (record.day(), audit_sort_key(record));
        state.audit.entry(key).or_insert_with(|| record.clone());
        Ok(())
    }

    pub(super) async fn audit(&self, day: &str) -> Result<Vec<AuditRecord>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .audit
            .iter()
            .filter(|((d, _), _)| d == day)
            .map(|(_, r)| r.clone())
            .collect())
    }
}
