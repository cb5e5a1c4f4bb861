//! A flow's steps: entering a flow, running a step (and the steps it leads to without waiting),
//! and the customer's answer to a step that waits (an order number, a choice, a consent).

use super::{
    CONSENT_NO, CONSENT_YES, Choice, Engine, NO, OPTION_PREFIX, OrderRequest, Reply, Turn, YES,
    choice_reply,
};
use crate::domain::bot::config::{HandoffReason, StepSpec};
use crate::domain::bot::matcher::{contains_phrase, normalize};
use crate::domain::consent::Keyword;

impl Engine<'_> {
    pub(super) fn enter_flow(&self, turn: &mut Turn, flow: &str, text: &str) {
        let Some(spec) = self.config.file.flows.get(flow) else {
            return;
        };
        turn.state.flow = Some(flow.to_owned());
        turn.state.topic = Some(flow.to_owned());
        turn.state.failed_attempts = 0;
        if let Some(id) = self.config.file.order_lookup.find_in(text) {
            turn.state.order_id = Some(id);
        }
        let start = spec.start.clone();
        self.run_step(turn, flow, &start);
    }

    /// Runs `step` of `flow` and the steps it leads to without waiting for the customer.
    /// `step` of `flow`, if the configuration still has it (a published change may drop it
    /// while a conversation is in it).
    fn step_spec(&self, flow: &str, step: &str) -> Option<&StepSpec> {
        self.config.file.flows.get(flow)?.steps.get(step)
    }

    pub(super) fn run_step(&self, turn: &mut Turn, flow: &str, step: &str) {
        let Some(spec) = self.step_spec(flow, step) else {
            return;
        };
        let lang = self.lang(turn);
        turn.state.step = Some(step.to_owned());
        match spec {
            StepSpec::Ask { text, next, .. } => {
                if turn.state.order_id.is_some() {
                    let next = next.clone();
                    self.run_step(turn, flow, &next);
                } else {
                    let body = self.render(self.config.pick(text, lang), turn);
                    turn.replies.push(Reply::Text { body });
                }
            }
            StepSpec::OrderLookup => match turn.state.order_id.clone() {
                Some(order_id) => {
                    turn.lookup = Some(OrderRequest {
                        order_id,
                        postcode: None,
                    })
                }
                None => self.failed(turn, None),
            },
            StepSpec::Answer { text } => {
                let body = self.render(self.config.pick(text, lang), turn);
                turn.replies.push(Reply::Text { body });
                self.end_flow(turn);
                self.ask_confirmation(turn);
            }
            StepSpec::Choice { text, options } => {
                let body = self.render(self.config.pick(text, lang), turn);
                let choices = options
                    .iter()
                    .map(|o| Choice {
                        id: format!("{OPTION_PREFIX}{}", o.id),
                        title: self.config.pick(&o.title, lang).to_owned(),
                    })
                    .collect();
                let button = self.config.texts(lang).menu_button.clone();
                turn.replies.push(choice_reply(&body, &button, choices));
            }
            StepSpec::Handoff { reason } => self.handoff(turn, *reason, None),
            StepSpec::Resolve => self.resolve(turn),
            StepSpec::Menu => {
                self.end_flow(turn);
                self.menu(turn);
            }
            StepSpec::Consent { change } => {
                let texts = self.config.texts(lang);
                let (ask, yes) = match change {
                    Keyword::OptOut => (&texts.opt_out_ask, &texts.opt_out_yes),
                    Keyword::OptIn => (&texts.opt_in_ask, &texts.opt_in_yes),
                };
                turn.replies.push(Reply::Buttons {
                    body: ask.clone(),
                    buttons: vec![
                        Choice {
                            id: CONSENT_YES.into(),
                            title: yes.clone(),
                        },
                        Choice {
                            id: CONSENT_NO.into(),
                            title: texts.confirm_no.clone(),
                        },
                    ],
                });
            }
        }
    }

    /// Handles the customer's answer to a waiting step. False: the answer does not fit the
    /// step; the caller tries the menu and intents.
    pub(super) fn continue_step(
        &self,
        turn: &mut Turn,
        flow: &str,
        step: &str,
        text: &str,
        reply_id: Option<&str>,
    ) -> bool {
        let Some(spec) = self.step_spec(flow, step) else {
            self.end_flow(turn);
            return false;
        };
        let lang = self.lang(turn);
        match spec {
            StepSpec::Ask { invalid, next, .. } => {
                if let Some(id) = self.config.file.order_lookup.find_in(text) {
                    // Not a success yet: the counter is reset by an order the shop confirms
                    // as the customer's, so typing number after number still adds up misses.
                    turn.state.order_id = Some(id);
                    let next = next.clone();
                    self.run_step(turn, flow, &next);
                    return true;
                }
                if self.switches_intent(text, flow) {
                    return false;
                }
                turn.state.failed_attempts += 1;
                if turn.state.failed_attempts >= self.config.file.limits.max_failed_attempts {
                    self.handoff(turn, HandoffReason::FailedAttempts, None);
                } else {
                    let body = self.render(self.config.pick(invalid, lang), turn);
                    turn.replies.push(Reply::Text { body });
                }
                true
            }
            StepSpec::Choice { options, .. } => {
                let normalized = normalize(text);
                let words: Vec<&str> = normalized.split_whitespace().collect();
                let number: Option<usize> = text.trim().trim_end_matches(['.', ')']).parse().ok();
                let chosen = options.iter().enumerate().find(|(i, o)| {
                    reply_id.and_then(|id| id.strip_prefix(OPTION_PREFIX)) == Some(o.id.as_str())
                        || number == Some(i + 1)
                        || o.title
                            .values()
                            .any(|t| normalize(t).trim() == normalized.trim())
                        || o.words.iter().any(|w| {
                            let phrase: Vec<String> =
                                normalize(w).split_whitespace().map(str::to_owned).collect();
                            contains_phrase(&words, &phrase)
                        })
                });
                match chosen {
                    Some((_, option)) => {
                        turn.state.failed_attempts = 0;
                        let next = option.next.clone();
                        self.run_step(turn, flow, &next);
                        true
                    }
                    None if self.switches_intent(text, flow) => false,
                    None => {
                        turn.state.failed_attempts += 1;
                        if turn.state.failed_attempts >= self.config.file.limits.max_failed_attempts
                        {
                            self.handoff(turn, HandoffReason::FailedAttempts, None);
                        } else {
                            let fallback = self.config.texts(lang).fallback.clone();
                            turn.replies.push(Reply::Text { body: fallback });
                            let step = step.to_owned();
                            self.run_step(turn, flow, &step);
                        }
                        true
                    }
                }
            }
            StepSpec::Consent { change } => {
                let texts = self.config.texts(lang);
                let yes_title = match change {
                    Keyword::OptOut => &texts.opt_out_yes,
                    Keyword::OptIn => &texts.opt_in_yes,
                };
                let normalized = normalize(text);
                let words: Vec<&str> = normalized.split_whitespace().collect();
                let typed_yes = normalized.trim() == normalize(yes_title).trim()
                    || (!words.is_empty()
                        && words.len() <= 4
                        && words.iter().any(|w| YES.contains(w))
                        && !words.iter().any(|w| NO.contains(w)));
                let typed_no =
                    !words.is_empty() && words.len() <= 3 && words.iter().any(|w| NO.contains(w));
                let (yes, no) = match reply_id {
                    Some(id) => (id == CONSENT_YES, id == CONSENT_NO),
                    None => (typed_yes, typed_no),
                };
                self.end_flow(turn);
                turn.state.topic = None;
                if yes {
                    turn.consent = Some(*change);
                    turn.replies.push(change.confirmation(Some(lang)));
                    true
                } else if no {
                    turn.replies.push(Reply::Text {
                        body: texts.consent_unchanged.clone(),
                    });
                    true
                } else {
                    // Something else: not a confirmation, nothing changes.
                    false
                }
            }
            // Steps that never wait for the customer.
            _ => {
                self.end_flow(turn);
                false
            }
        }
    }
}
