//! SLA tracking: business calendars and deadline math, policies and escalation chains.

pub mod calendar;

pub use calendar::{Calendar, CalendarError, Opening, Pause};
