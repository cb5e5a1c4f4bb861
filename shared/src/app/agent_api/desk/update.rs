//! Another priority or category for a ticket.

use crate::app::ticket_change::Draft;
use crate::domain::bot::Priority;
use crate::domain::sla::{SlaConfig, TicketFacts};
use crate::ports::store::ActivityKind;

/// Another priority (which may mean another SLA policy: running deadlines move) or category.
pub(super) fn update(
    sla: Option<&SlaConfig>,
    version: Option<u32>,
    priority: Option<Priority>,
    category: &Option<String>,
    draft: &mut Draft,
) {
    if let Some(p) = priority {
        draft.next.priority = Some(p);
        draft.log(
            ActivityKind::Priority,
            Some(p.as_str().to_owned()),
            Vec::new(),
        );
        if let (Some(sla), Some(clocks)) = (sla, draft.next.sla.as_mut()) {
            let facts = TicketFacts {
                channel: "whatsapp",
                priority: Some(p),
                category: draft.next.category.as_deref(),
                text: None,
                tier: None,
            };
            clocks.set_policy(&sla.select(&facts).name.clone(), version);
        }
    }
    if let Some(c) = category {
        draft.next.category = Some(c.trim().to_owned());
        draft.log(
            ActivityKind::Category,
            Some(c.trim().to_owned()),
            Vec::new(),
        );
    }
}
