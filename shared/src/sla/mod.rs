//! SLA tracking: business calendars and deadline math, policies and escalation chains.

pub mod calendar;
pub mod policy;

pub use calendar::{Calendar, CalendarError, Opening, Pause};
pub use policy::{Action, SlaConfig, SlaConfigError, Target, TargetSchedule, TicketFacts};
