use super::*;
use crate::ports::store::outbox_log_key;

impl MemoryStore {
    pub(super) async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        Ok(self.begin()?.agents.values().cloned().collect())
    }

    pub(super) async fn add_agent(&self, agent: &Agent) -> Result<(), StoreError> {
        self.begin()?
            .agents
            .entry(agent.id.clone())
            .or_insert_with(|| agent.clone());
        Ok(())
    }

    pub(super) async fn claim_agent(&self, id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let mut state = self.begin()?;
        match state.agents.get_mut(id) {
            Some(a) if a.has_room() => {
                a.load += 1;
                a.last_assigned_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    pub(super) async fn release_agent(&self, id: &str) -> Result<(), StoreError> {
        if let Some(a) = self.begin()?.agents.get_mut(id) {
            a.load = a.load.saturating_sub(1);
        }
        Ok(())
    }

    pub(super) async fn release_agent_once(
        &self,
        entry: &OutboxEntry,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let key = outbox_sort_key(&entry.inbound, entry.seq);
        let stored = state
            .outbox
            .get_mut(&entry.ticket_id)
            .and_then(|o| o.get_mut(&key))
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "outbox entry {} is missing",
                    outbox_log_key(&entry.inbound, entry.seq)
                ))
            })?;
        if stored.done {
            return Ok(());
        }
        stored.done = true;
        if let Some(a) = state.agents.get_mut(id) {
            a.load = a.load.saturating_sub(1);
        }
        Ok(())
    }

    pub(super) async fn update_agent(&self, agent: &Agent) -> Result<Option<Agent>, StoreError> {
        let mut state = self.begin()?;
        Ok(state.agents.get_mut(&agent.id).map(|a| {
            a.name.clone_from(&agent.name);
            a.teams.clone_from(&agent.teams);
            a.languages.clone_from(&agent.languages);
            a.capacity = agent.capacity;
            a.deactivated_at = agent.deactivated_at;
            if a.deactivated_at.is_some() {
                a.online = false;
            }
            a.clone()
        }))
    }

    pub(super) async fn set_presence(
        &self,
        id: &str,
        online: Option<bool>,
        capacity: Option<u32>,
    ) -> Result<Option<Agent>, StoreError> {
        let mut state = self.begin()?;
        Ok(state.agents.get_mut(id).map(|a| {
            if let Some(online) = online {
                a.online = online;
            }
            if let Some(capacity) = capacity {
                a.capacity = capacity;
            }
            a.clone()
        }))
    }
}
