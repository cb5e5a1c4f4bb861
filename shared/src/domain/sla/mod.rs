//! SLA tracking: business calendars and deadline math, policies and escalation chains, and the
//! clocks of a ticket with the one-shot timers they need.

pub mod calendar;
pub mod clocks;
pub mod policy;

pub use calendar::{Calendar, CalendarError, Opening, Pause};
pub use clocks::{Breach, Fired, SlaClocks, SlaEvent, TargetClock, TimerPayload, TimerPlan};
pub use policy::{Action, SlaConfig, SlaConfigError, Target, TargetSchedule, TicketFacts};
