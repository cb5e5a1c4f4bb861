use super::*;
use crate::ports::store::{OwnedDoc, OwnedKind, OwnedWrite};

impl MemoryStore {
    pub(super) async fn owned_docs(
        &self,
        kind: OwnedKind,
        owner: &str,
    ) -> Result<Vec<OwnedDoc>, StoreError> {
        let state = self.begin()?;
        Ok(state
            .owned
            .get(&(kind, owner.to_owned()))
            .map(|docs| docs.values().cloned().collect())
            .unwrap_or_default())
    }

    pub(super) async fn put_owned_doc(&self, doc: &OwnedDoc) -> Result<OwnedWrite, StoreError> {
        let mut state = self.begin()?;
        let docs = state
            .owned
            .entry((doc.kind, doc.owner.clone()))
            .or_default();
        let stored = docs.get(&doc.id).map(|d| d.version);
        let expected = (doc.version > 1).then(|| doc.version - 1);
        if stored != expected {
            return Ok(OwnedWrite::Conflict);
        }
        docs.insert(doc.id.clone(), doc.clone());
        Ok(OwnedWrite::Written)
    }

    pub(super) async fn delete_owned_doc(
        &self,
        kind: OwnedKind,
        owner: &str,
        id: &str,
        version: u64,
    ) -> Result<OwnedWrite, StoreError> {
        let mut state = self.begin()?;
        let docs = state.owned.entry((kind, owner.to_owned())).or_default();
        if docs.get(id).map(|d| d.version) != Some(version) {
            return Ok(OwnedWrite::Conflict);
        }
        docs.remove(id);
        Ok(OwnedWrite::Written)
    }
}
