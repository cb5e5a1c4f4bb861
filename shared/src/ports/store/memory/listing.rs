use super::*;
use crate::ports::store::sortable_time;

impl MemoryStore {
    pub(super) async fn list_tickets(
        &self,
        index: &TicketIndex,
        limit: u32,
        after: Option<&str>,
    ) -> Result<TicketPage, StoreError> {
        let state = self.begin()?;
        // Sort keys as the DynamoDB indexes have them: the queue by ticket id (oldest first),
        // an agent's tickets by last change (newest first).
        let mut keyed: Vec<(String, &Ticket)> = state
            .tickets
            .values()
            .filter_map(|t| match index {
                TicketIndex::Queue { status, team } => (t.status == *status
                    && t.team.as_deref() == team.as_deref())
                .then(|| (t.id.to_string(), t)),
                TicketIndex::Tag(tag) => state
                    .tags
                    .get(tag)
                    .is_some_and(|tickets| tickets.contains(&t.id))
                    .then(|| (t.id.to_string(), t)),
                TicketIndex::Assignee(agent) => (t.assignee.as_deref() == Some(agent.as_str()))
                    .then(|| (format!("{}#{}", sortable_time(t.updated_at), t.id), t)),
            })
            .collect();
        let newest_first = matches!(index, TicketIndex::Assignee(_));
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        if newest_first {
            keyed.reverse();
        }
        let rest: Vec<_> = keyed
            .into_iter()
            .filter(|(k, _)| match after {
                None => true,
                Some(a) if newest_first => k.as_str() < a,
                Some(a) => k.as_str() > a,
            })
            .collect();
        let limit = limit.max(1) as usize;
        let next = (rest.len() > limit).then(|| rest[limit - 1].0.clone());
        Ok(TicketPage {
            tickets: rest
                .into_iter()
                .take(limit)
                .map(|(_, t)| t.clone())
                .collect(),
            next,
        })
    }
}
