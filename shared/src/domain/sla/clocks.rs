//! The SLA clocks of one ticket: which targets run since when, pauses, what was met or breached,
//! and which timer each running clock needs next. Pure: the caller stores the clocks on the
//! ticket and arms or disarms the timers the plan names.
//!
//! Stages of a target: 1 the warning, 2 the breach (escalation level 1), 3.. the further
//! escalation levels. The bot time limit has only the breach. One timer per clock at a time: the
//! next stage. Timer names are deterministic (`sla-<ticket>-<target>-g<generation>-s<stage>`), so
//! a retry cannot arm a second timer; the generation moves when a pause moves the deadlines.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::calendar::{CalendarError, Pause};
use super::policy::{Action, SlaConfig, Target};
use crate::domain::ids::TicketId;
use crate::domain::timer::{Timer, TimerName};

const WARNING: u8 = 1;
const BREACH: u8 = 2;

/// What happened to the ticket, as far as SLAs care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaEvent {
    /// A new ticket (the bot has it): resolution and the bot time limit start.
    Opened,
    /// A person is needed: the bot limit is met, first response starts.
    HandedOff,
    /// An agent answered: first or next response is met.
    AgentReplied,
    /// The customer wrote: after an agent's reply, next response starts.
    CustomerWrote,
    /// Waiting on the customer: every clock stops.
    Paused,
    /// The customer answered a paused ticket: clocks run again, deadlines pushed.
    Resumed,
    /// Solved: every clock is met.
    Resolved,
    /// The bot gave a self-service answer and asked whether it helped: silence starts counting.
    BotAnswered,
    /// An agent took a resolved ticket back to work on it: resolution runs again (the agent is
    /// on it: no first response, and the bot has no part in it).
    Reopened,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetClock {
    pub started_at: Timestamp,
    pub generation: u32,
    pub met_at: Option<Timestamp>,
    /// The last stage handled (0: none).
    pub stage_done: u8,
    /// The timer armed for this clock, if any.
    pub armed: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseSpan {
    pub from: Timestamp,
    pub to: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    pub target: Target,
    /// 1 at the breach, then each escalation level.
    pub level: u8,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClocks {
    pub policy: String,
    /// The published SLA document version the policy was chosen from (`None`: the start-up
    /// file, or a ticket from before versions were kept). The ticket's deadlines are planned
    /// with that version until its policy is chosen again (a handoff, a priority change), so
    /// a publish neither moves nor drops what a running ticket was promised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<u32>,
    #[serde(default)]
    pub clocks: BTreeMap<Target, TargetClock>,
    #[serde(default)]
    pub pauses: Vec<PauseSpan>,
    #[serde(default)]
    pub breaches: Vec<Breach>,
}

/// What a fired timer carries (the Scheduler target's Input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerPayload {
    pub v: u8,
    pub ticket_id: TicketId,
    pub target: Target,
    pub generation: u32,
    pub stage: u8,
    pub due_at: Timestamp,
}

/// Timers to create and delete after a change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimerPlan {
    pub arm: Vec<Timer>,
    pub disarm: Vec<TimerName>,
}

/// What a fired timer means now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fired {
    /// Met, paused, moved, or handled before: nothing to do.
    Stale,
    /// Handled before but its follow-up timer may be missing: only plan timers again.
    Repeat,
    Warning,
    /// Escalation level (1 = the breach) and its actions.
    Level {
        level: u8,
        actions: Vec<Action>,
    },
    /// The bot did not solve it in time: hand over to a person.
    BotTimeLimit,
    /// The customer stayed quiet after a self-service answer: resolved by the bot.
    BotSilence,
}

impl SlaClocks {
    pub fn new(policy: &str) -> Self {
        Self {
            policy: policy.to_owned(),
            ..Self::default()
        }
    }

    /// The policy was chosen from the published SLA document `version`.
    pub fn chosen_from(mut self, version: Option<u32>) -> Self {
        self.policy_version = version;
        self
    }

    /// The policy chosen again (from the published document `version`): another policy gives
    /// running clocks new deadlines (a new generation); the same policy keeps the armed timers
    /// (their due times stay), and later stages follow `version`.
    pub fn set_policy(&mut self, policy: &str, version: Option<u32>) {
        self.policy_version = version;
        if self.policy != policy {
            self.policy = policy.to_owned();
            for c in self.clocks.values_mut().filter(|c| c.met_at.is_none()) {
                c.generation += 1;
            }
        }
    }

    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    /// The pauses, as the calendar takes them.
    pub fn pause_list(&self) -> Vec<Pause> {
        self.pauses
            .iter()
            .map(|p| Pause {
                from: p.from,
                to: p.to,
            })
            .collect()
    }

    fn start(&mut self, target: Target, now: Timestamp) {
        let generation = self.clocks.get(&target).map_or(0, |c| c.generation + 1);
        let armed = self.clocks.get(&target).and_then(|c| c.armed.clone());
        self.clocks.insert(
            target,
            TargetClock {
                started_at: now,
                generation,
                met_at: None,
                stage_done: 0,
                armed,
            },
        );
    }

    fn meet(&mut self, target: Target, now: Timestamp) {
        if let Some(c) = self.clocks.get_mut(&target)
            && c.met_at.is_none()
        {
            c.met_at = Some(now);
        }
    }

    fn running(&self, target: Target) -> bool {
        self.clocks.get(&target).is_some_and(|c| c.met_at.is_none())
    }

    pub fn apply(&mut self, event: SlaEvent, now: Timestamp) {
        match event {
            SlaEvent::Opened => {
                self.start(Target::Resolution, now);
                self.start(Target::BotTimeLimit, now);
            }
            SlaEvent::BotAnswered => {
                // The bot answered: its time limit is met; silence now means solved.
                self.meet(Target::BotTimeLimit, now);
                self.start(Target::BotSilence, now);
            }
            SlaEvent::HandedOff => {
                self.meet(Target::BotTimeLimit, now);
                self.meet(Target::BotSilence, now);
                // Each handoff of the ticket's life (a new question after a resolution is handed
                // over again) waits for its own first response.
                if !self.running(Target::FirstResponse) {
                    self.start(Target::FirstResponse, now);
                }
            }
            SlaEvent::AgentReplied => {
                self.meet(Target::FirstResponse, now);
                self.meet(Target::NextResponse, now);
            }
            SlaEvent::CustomerWrote => {
                // The customer spoke: no silence after the bot's last answer, and the bot gets
                // its time limit again for the new question.
                let after_answer = self.running(Target::BotSilence);
                self.meet(Target::BotSilence, now);
                if after_answer {
                    self.start(Target::BotTimeLimit, now);
                }
                // An agent answered this question (not one before a resolution: the bot has a
                // new question first, and only its handoff starts the agents' clocks again).
                let question_since = self.clocks.get(&Target::Resolution).map(|c| c.started_at);
                let agent_answered = self.clocks.get(&Target::FirstResponse).is_some_and(|c| {
                    c.met_at.is_some() && question_since.is_none_or(|q| c.started_at >= q)
                });
                if agent_answered && !self.running(Target::NextResponse) {
                    self.start(Target::NextResponse, now);
                }
            }
            SlaEvent::Paused => {
                if !self.is_paused() {
                    self.pauses.push(PauseSpan {
                        from: now,
                        to: None,
                    });
                }
            }
            SlaEvent::Resumed => {
                if let Some(p) = self.pauses.last_mut().filter(|p| p.to.is_none()) {
                    p.to = Some(now.max(p.from));
                    // Deadlines moved: running clocks get new timers.
                    for c in self.clocks.values_mut().filter(|c| c.met_at.is_none()) {
                        c.generation += 1;
                    }
                }
            }
            SlaEvent::Resolved => {
                for target in Target::ALL {
                    self.meet(target, now);
                }
            }
            SlaEvent::Reopened => self.start(Target::Resolution, now),
        }
    }

    /// The stages of `target` under the configuration.
    fn last_stage(target: Target, sla: &SlaConfig) -> u8 {
        match target {
            Target::BotTimeLimit | Target::BotSilence => BREACH,
            _ => BREACH + u8::try_from(sla.levels.len().saturating_sub(1)).unwrap_or(0),
        }
    }

    /// The timer each running clock needs now (none while paused).
    pub fn wanted(
        &self,
        ticket: TicketId,
        sla: &SlaConfig,
    ) -> Result<BTreeMap<Target, Timer>, CalendarError> {
        let mut wanted = BTreeMap::new();
        if self.is_paused() {
            return Ok(wanted);
        }
        let Some(policy) = sla.policies.iter().find(|p| p.name == self.policy) else {
            return Ok(wanted);
        };
        let pauses = self.pause_list();
        for (&target, clock) in self.clocks.iter().filter(|(_, c)| c.met_at.is_none()) {
            // The bot's clocks have a single stage: their end.
            let stage = if matches!(target, Target::BotTimeLimit | Target::BotSilence) {
                BREACH
            } else {
                clock.stage_done + 1
            };
            if clock.stage_done >= stage || stage > Self::last_stage(target, sla) {
                continue;
            }
            let Some(schedule) = sla.schedule(policy, target, clock.started_at, &pauses)? else {
                continue;
            };
            let due_at = match stage {
                WARNING => schedule.warning_at,
                BREACH => schedule.due_at,
                level => schedule
                    .levels
                    .iter()
                    .find(|(n, _, _)| *n == level - 1)
                    .map_or(schedule.due_at, |(_, at, _)| *at),
            };
            let name = timer_name(ticket, target, clock.generation, stage);
            let payload = TimerPayload {
                v: 1,
                ticket_id: ticket,
                target,
                generation: clock.generation,
                stage,
                due_at,
            };
            wanted.insert(
                target,
                Timer {
                    name,
                    due_at,
                    payload: serde_json::to_string(&payload).unwrap_or_default(),
                },
            );
        }
        Ok(wanted)
    }

    /// Compares what is armed with what is wanted, records the new armed names, and returns the
    /// timers to create and delete.
    pub fn plan(&mut self, ticket: TicketId, sla: &SlaConfig) -> Result<TimerPlan, CalendarError> {
        let mut wanted = self.wanted(ticket, sla)?;
        let mut plan = TimerPlan::default();
        for (target, clock) in &mut self.clocks {
            let want = wanted.remove(target);
            let want_name = want.as_ref().map(|t| t.name.as_str().to_owned());
            if clock.armed == want_name {
                continue;
            }
            if let Some(old) = clock.armed.take()
                && let Ok(name) = TimerName::parse(&old)
            {
                plan.disarm.push(name);
            }
            if let Some(timer) = want {
                clock.armed = Some(timer.name.as_str().to_owned());
                plan.arm.push(timer);
            }
        }
        Ok(plan)
    }

    /// What a fired timer means, recording the stage as handled (and a breach).
    pub fn fired(&mut self, payload: &TimerPayload, sla: &SlaConfig, now: Timestamp) -> Fired {
        let paused = self.is_paused();
        let Some(clock) = self.clocks.get_mut(&payload.target) else {
            return Fired::Stale;
        };
        if clock.met_at.is_some() || paused || clock.generation != payload.generation {
            return Fired::Stale;
        }
        if payload.stage <= clock.stage_done {
            return if payload.stage == clock.stage_done {
                Fired::Repeat
            } else {
                Fired::Stale
            };
        }
        clock.stage_done = payload.stage;
        // This timer has fired (and deleted itself): nothing to disarm.
        clock.armed = None;
        match payload.target {
            Target::BotTimeLimit => return Fired::BotTimeLimit,
            Target::BotSilence => return Fired::BotSilence,
            _ => {}
        }
        if payload.stage == WARNING {
            return Fired::Warning;
        }
        let level = payload.stage - 1;
        self.breaches.push(Breach {
            target: payload.target,
            level,
            at: now,
        });
        let actions = sla
            .levels
            .iter()
            .find(|l| l.number == level)
            .map(|l| l.actions.clone())
            .unwrap_or_default();
        Fired::Level { level, actions }
    }
}

/// `sla-<ticket>-<fr|nr|res|bot>-g<generation>-s<stage>`: at most 52 characters.
pub fn timer_name(ticket: TicketId, target: Target, generation: u32, stage: u8) -> TimerName {
    let code = match target {
        Target::FirstResponse => "fr",
        Target::NextResponse => "nr",
        Target::Resolution => "res",
        Target::BotTimeLimit => "bot",
        Target::BotSilence => "sil",
    };
    TimerName::parse(&format!("sla-{ticket}-{code}-g{generation}-s{stage}"))
        .expect("ticket ids and codes fit the name rules")
}

#[cfg(test)]
mod tests;
