use super::*;
use crate::ports::store::changes::ChangeMarks;

impl MemoryStore {
    /// The in-memory store forgets everything at exit and nothing before.
    pub(super) async fn change_marks(
        &self,
        ticket: Option<TicketId>,
    ) -> Result<ChangeMarks, StoreError> {
        Ok(self.begin()?.changes.marks(ticket))
    }

    pub(super) async fn claim_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.begin()?;
        match state.agent_read.get(&ticket) {
            Some(claimed) if claimed.as_str() >= message_key => Ok(false),
            _ => {
                state.agent_read.insert(ticket, message_key.to_owned());
                Ok(true)
            }
        }
    }

    pub(super) async fn release_agent_read(
        &self,
        ticket: TicketId,
        message_key: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        if state.agent_read.get(&ticket).map(String::as_str) == Some(message_key) {
            state.agent_read.remove(&ticket);
        }
        Ok(())
    }
}
