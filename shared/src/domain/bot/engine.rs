//! The bot's decisions. Pure: given the configuration, the conversation state and one customer
//! message, it returns the replies, the new state, and whether to hand over, resolve or look an
//! order up. The caller does the I/O (and calls [`Engine::after_lookup`] with the shop's answer).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::config::{BotConfig, HandoffReason, Lang, MAX_BUTTONS, MediaPolicy, Priority, StepSpec};
use super::matcher::{IntentMatch, detect_language, normalize};
use super::understanding::Understanding;
use crate::domain::consent::Keyword;
use crate::domain::order::normalize_postcode;
pub use crate::domain::order::{Lookup, OrderInfo};
pub use crate::domain::whatsapp::Choice;
use crate::domain::whatsapp::OutboundBody;

mod steps;

const YES: &[&str] = &[
    "ja", "yes", "jep", "jo", "genau", "richtig", "passt", "ok", "okay", "yep", "yeah", "sure",
    "gerne",
];
const NO: &[&str] = &["nein", "no", "nope", "nicht", "leider", "not"];
pub const CONFIRM_YES: &str = "confirm.yes";
pub const CONFIRM_NO: &str = "confirm.no";
pub const CONSENT_YES: &str = "consent.yes";
pub const CONSENT_NO: &str = "consent.no";
/// Words around a menu number that do not change it ("Nr. 2", "die 2 bitte", "option 1").
const NUMBER_FILLERS: &[&str] = &[
    "nr", "nummer", "number", "no", "option", "punkt", "die", "the", "bitte", "please", "pls",
];
const MENU_PREFIX: &str = "menu.";
const OPTION_PREFIX: &str = "opt.";

/// Where the bot is in a conversation; stored on the ticket between messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotState {
    pub language: Option<Lang>,
    pub greeted: bool,
    /// The flow waiting for the customer's answer, and its step.
    pub flow: Option<String>,
    pub step: Option<String>,
    /// The last flow entered, kept after it answered (e.g. what a photo is about).
    pub topic: Option<String>,
    pub order_id: Option<String>,
    /// The shop could not tie `order_id` to the customer's number: the bot asked for the
    /// postcode of the delivery address and waits for it.
    #[serde(default)]
    pub awaiting_postcode: bool,
    /// Consecutive messages that did not move the conversation forward.
    pub failed_attempts: u32,
    /// The last answer asked "did that help?".
    pub awaiting_confirmation: bool,
    /// When that answer was given (silence after it counts as resolved).
    pub answered_at: Option<Timestamp>,
    /// When the bot started on this ticket (for the bot time limit).
    pub started_at: Option<Timestamp>,
    /// The intents the bot offered when it asked back; a tap, their number or their title
    /// picks one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clarifying: Vec<String>,
}

/// One customer message, as the bot sees it.
#[derive(Debug, Clone, Default)]
pub struct Inbound<'a> {
    /// Typed text, a caption, or the title of a tapped button.
    pub text: Option<&'a str>,
    /// The id of a tapped reply button or list row.
    pub reply_id: Option<&'a str>,
    /// The customer sent an image, document, audio or video.
    pub media: bool,
    pub customer_name: Option<&'a str>,
    /// The customer's known language (profile), used when the message does not tell.
    pub language_hint: Option<Lang>,
}

/// What the bot says: a WhatsApp message (text, reply buttons or a list; never a template).
pub type Reply = OutboundBody;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    pub reason: HandoffReason,
    pub priority: Priority,
}

/// The order lookup a turn asks for (the caller adds who asks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub order_id: String,
    /// The postcode the customer gave when asked for it.
    pub postcode: Option<String>,
}

/// The bot's answer to one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub replies: Vec<Reply>,
    pub state: BotState,
    pub handoff: Option<Handoff>,
    /// The customer's problem is solved by the bot.
    pub resolved: bool,
    /// The intent recognised in free text, with its score.
    pub intent: Option<IntentMatch>,
    /// Look this order up, then call [`Engine::after_lookup`].
    pub lookup: Option<OrderRequest>,
    /// The customer confirmed an opt-out or opt-in in their own words: record it.
    pub consent: Option<Keyword>,
    customer_name: Option<String>,
    now: Timestamp,
}

impl Turn {
    fn new(state: &BotState, customer_name: Option<&str>, now: Timestamp) -> Self {
        Self {
            now,
            replies: Vec::new(),
            state: state.clone(),
            handoff: None,
            resolved: false,
            intent: None,
            lookup: None,
            consent: None,
            customer_name: customer_name.map(str::to_owned),
        }
    }
}

pub struct Engine<'c> {
    config: &'c BotConfig,
}

impl<'c> Engine<'c> {
    pub fn new(config: &'c BotConfig) -> Self {
        Self { config }
    }

    pub fn respond(&self, state: &BotState, input: &Inbound<'_>, now: Timestamp) -> Turn {
        let mut turn = Turn::new(state, input.customer_name, now);
        turn.state.started_at.get_or_insert(now);
        let text = input.text.unwrap_or("").trim();
        let lang = detect_language(text)
            .or(turn.state.language)
            .or(input.language_hint)
            .unwrap_or(self.config.file.default_language);
        turn.state.language = Some(lang);
        let first_contact = !turn.state.greeted;
        if first_contact {
            let greeting = self.render(&self.config.texts(lang).greeting, &turn);
            turn.replies.push(Reply::Text { body: greeting });
            turn.state.greeted = true;
        }

        if input.media {
            let policy = self
                .current_topic(&turn)
                .map(|f| f.on_media)
                .unwrap_or_default();
            if policy == MediaPolicy::Handoff {
                let body = self.config.texts(lang).media_handoff.clone();
                self.handoff(&mut turn, HandoffReason::Media, Some(body));
                return turn;
            }
            turn.replies.push(Reply::Text {
                body: self.config.texts(lang).media_received.clone(),
            });
            if text.is_empty() {
                if first_contact {
                    self.menu(&mut turn);
                }
                return turn;
            }
        }

        if let Some(reason) = self.handoff_words(text) {
            self.handoff(&mut turn, reason, None);
            return turn;
        }
        let clarifying = std::mem::take(&mut turn.state.clarifying);

        match input.reply_id {
            Some(CONFIRM_YES) => {
                self.resolve(&mut turn);
                return turn;
            }
            Some(CONFIRM_NO) => {
                self.not_helped(&mut turn);
                return turn;
            }
            Some(id) if id.starts_with(MENU_PREFIX) => {
                if let Some(intent) = self.config.intent(&id[MENU_PREFIX.len()..]) {
                    let flow = intent.flow.clone();
                    self.enter_flow(&mut turn, &flow, text);
                    return turn;
                }
            }
            _ => {}
        }

        if turn.state.awaiting_postcode && self.postcode_answer(&mut turn, text, &clarifying) {
            return turn;
        }

        if turn.state.awaiting_confirmation {
            turn.state.awaiting_confirmation = false;
            let normalized = normalize(text);
            let words: Vec<&str> = normalized.split_whitespace().collect();
            let thanks = self.best(text).is_some_and(|m| m.intent == "thanks");
            if thanks || (!words.is_empty() && words.iter().all(|w| YES.contains(w))) {
                self.resolve(&mut turn);
                return turn;
            }
            if !words.is_empty() && words.iter().any(|w| NO.contains(w)) && words.len() <= 3 {
                self.not_helped(&mut turn);
                return turn;
            }
        }

        // A menu number or title (or one of the options the bot asked back with) works at any
        // point, except where the waiting step numbers its own options.
        if input.reply_id.is_none()
            && !self.step_has_options(&turn)
            && let Some(flow) = self.picked(text, &clarifying)
        {
            self.enter_flow(&mut turn, &flow, text);
            return turn;
        }

        if let (Some(flow), Some(step)) = (turn.state.flow.clone(), turn.state.step.clone())
            && self.continue_step(&mut turn, &flow, &step, text, input.reply_id)
        {
            return turn;
        }

        match self.config.classify(text) {
            Understanding::Intent(m) => {
                let flow = self.config.intent(&m.intent).map(|i| i.flow.clone());
                turn.intent = Some(m);
                if let Some(flow) = flow {
                    self.enter_flow(&mut turn, &flow, text);
                    return turn;
                }
            }
            Understanding::Unsure(first, second) => {
                // Not a failure: the customer's answer decides (a tap, a number, a title).
                self.clarify(&mut turn, &first, &second);
                return turn;
            }
            Understanding::OffTopic if !first_contact => {
                // Not a misunderstanding: say what the bot can do. It still counts, so a
                // customer who keeps writing about something else reaches a person.
                let body = self.config.texts(lang).off_topic.clone();
                self.failed(&mut turn, body);
                return turn;
            }
            Understanding::Handoff(_) | Understanding::OffTopic | Understanding::Unknown => {}
        }

        if first_contact {
            // Greeted already: show what the bot can do, without calling it a failure.
            self.menu(&mut turn);
            return turn;
        }
        self.failed(&mut turn, None);
        turn
    }

    /// Completes a turn that asked for an order lookup.
    pub fn after_lookup(&self, mut turn: Turn, result: Lookup) -> Turn {
        turn.lookup = None;
        let lang = self.lang(&turn);
        let texts = self.config.texts(lang);
        let had_postcode = turn.state.awaiting_postcode;
        turn.state.awaiting_postcode = false;
        match result {
            Lookup::Found(order) => {
                let template = match order.status.as_str() {
                    "shipped" => &texts.order_shipped,
                    "delivered" => &texts.order_delivered,
                    "processing" => &texts.order_processing,
                    _ => &texts.order_found,
                };
                let body = self.render_order(template, &turn, &order);
                turn.replies.push(Reply::Text { body });
                turn.state.failed_attempts = 0;
                self.end_flow(&mut turn);
                self.ask_confirmation(&mut turn);
            }
            Lookup::NotFound => {
                let body = self.render(&texts.order_not_found, &turn);
                turn.replies.push(Reply::Text { body });
                turn.state.order_id = None;
                let flow = turn.state.flow.clone().unwrap_or_default();
                let ask = self.config.file.flows.get(&flow).and_then(|f| {
                    f.steps
                        .iter()
                        .find(|(_, s)| matches!(s, StepSpec::Ask { .. }))
                        .map(|(name, _)| name.clone())
                });
                turn.state.step = ask;
                turn.state.failed_attempts += 1;
                if turn.state.failed_attempts >= self.config.file.limits.max_failed_attempts {
                    self.handoff(&mut turn, HandoffReason::FailedAttempts, None);
                }
            }
            Lookup::NotYours => {
                // A miss, as an unknown number is: trying other people's order numbers ends
                // with a person after the usual number of failures.
                turn.state.failed_attempts += 1;
                let limit = self.config.file.limits.max_failed_attempts;
                if had_postcode || turn.state.failed_attempts >= limit {
                    // The postcode did not match either: a person checks who is asking.
                    let body = self.render(&texts.order_not_verified, &turn);
                    turn.state.order_id = None;
                    self.handoff(&mut turn, HandoffReason::FailedAttempts, Some(body));
                } else {
                    let body = self.render(&texts.order_ask_postcode, &turn);
                    turn.replies.push(Reply::Text { body });
                    turn.state.awaiting_postcode = true;
                }
            }
            Lookup::Failed => {
                let body = texts.order_lookup_failed.clone();
                self.handoff(&mut turn, HandoffReason::OrderLookupFailed, Some(body));
            }
        }
        turn
    }

    /// The turn when a self-service answer met silence (the silence timer fired): resolved by
    /// the bot, nothing is sent. `None` if the bot is not waiting for a confirmation.
    pub fn silence(&self, state: &BotState, now: Timestamp) -> Option<Turn> {
        if !state.awaiting_confirmation {
            return None;
        }
        let mut turn = Turn::new(state, None, now);
        turn.resolved = true;
        turn.state.awaiting_confirmation = false;
        turn.state.answered_at = None;
        turn.state.topic = None;
        self.end_flow(&mut turn);
        Some(turn)
    }

    /// The turn for a bot that ran out of time (the bot-time-limit timer fired).
    pub fn time_limit(&self, state: &BotState, now: Timestamp) -> Turn {
        let mut turn = Turn::new(state, None, now);
        self.handoff(&mut turn, HandoffReason::BotTimeLimit, None);
        turn
    }

    /// The intent the model is confident of.
    fn best(&self, text: &str) -> Option<IntentMatch> {
        match self.config.classify(text) {
            Understanding::Intent(m) => Some(m),
            _ => None,
        }
    }

    fn lang(&self, turn: &Turn) -> Lang {
        turn.state
            .language
            .unwrap_or(self.config.file.default_language)
    }

    fn current_topic(&self, turn: &Turn) -> Option<&'c super::config::FlowSpec> {
        turn.state
            .topic
            .as_ref()
            .and_then(|f| self.config.file.flows.get(f))
    }

    fn handoff_words(&self, text: &str) -> Option<HandoffReason> {
        self.config.handoff(text)
    }

    /// The flow of the intent a message picks by number or title: from the options the bot
    /// just asked back with, else from the main menu.
    fn picked(&self, text: &str, clarifying: &[String]) -> Option<String> {
        let normalized = normalize(text);
        let words: Vec<&str> = normalized.split_whitespace().collect();
        let offered: &[String] = if clarifying.is_empty() {
            &self.config.file.menu.items
        } else {
            clarifying
        };
        let numbers: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| w.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        let by_number = match numbers.as_slice() {
            [n] if words.iter().all(|w| w == n || NUMBER_FILLERS.contains(w)) => n
                .parse::<usize>()
                .ok()
                .and_then(|n| offered.get(n.checked_sub(1)?)),
            _ => None,
        };
        let by_title = || {
            let typed = words.join(" ");
            offered
                .iter()
                .chain(&self.config.file.menu.items)
                .find(|id| {
                    self.config
                        .typed_titles
                        .iter()
                        .any(|(intent, title)| intent == *id && *title == typed)
                })
        };
        let id = by_number.or_else(by_title)?;
        self.config.intent(id).map(|i| i.flow.clone())
    }

    /// The waiting step numbers its own options (a choice, a confirmation).
    fn step_has_options(&self, turn: &Turn) -> bool {
        let (Some(flow), Some(step)) = (&turn.state.flow, &turn.state.step) else {
            return false;
        };
        self.config
            .file
            .flows
            .get(flow)
            .and_then(|f| f.steps.get(step))
            .is_some_and(|s| matches!(s, StepSpec::Choice { .. } | StepSpec::Consent { .. }))
    }

    /// Asks which of two intents the customer means, with both as buttons.
    fn clarify(&self, turn: &mut Turn, first: &IntentMatch, second: &IntentMatch) {
        let lang = self.lang(turn);
        let texts = self.config.texts(lang);
        let choices = [first, second]
            .iter()
            .map(|m| Choice {
                id: format!("{MENU_PREFIX}{}", m.intent),
                title: self
                    .config
                    .intent_title(&m.intent, lang)
                    .unwrap_or(&m.intent)
                    .to_owned(),
            })
            .collect();
        turn.replies
            .push(choice_reply(&texts.clarify, &texts.menu_button, choices));
        turn.state.clarifying = vec![first.intent.clone(), second.intent.clone()];
        self.end_flow(turn);
    }

    fn handoff(&self, turn: &mut Turn, reason: HandoffReason, message: Option<String>) {
        let lang = self.lang(turn);
        let texts = self.config.texts(lang);
        let body = message.unwrap_or_else(|| {
            if self.config.priority(reason) == Priority::Urgent {
                texts.handoff_urgent.clone()
            } else {
                texts.handoff.clone()
            }
        });
        turn.replies.push(Reply::Text { body });
        turn.handoff = Some(Handoff {
            reason,
            priority: self.config.priority(reason),
        });
        turn.state.awaiting_confirmation = false;
        turn.state.topic = None;
        self.end_flow(turn);
    }

    fn resolve(&self, turn: &mut Turn) {
        let lang = self.lang(turn);
        turn.replies.push(Reply::Text {
            body: self.config.texts(lang).resolved.clone(),
        });
        turn.resolved = true;
        turn.state.awaiting_confirmation = false;
        turn.state.failed_attempts = 0;
        turn.state.topic = None;
        self.end_flow(turn);
    }

    fn not_helped(&self, turn: &mut Turn) {
        turn.state.awaiting_confirmation = false;
        let lang = self.lang(turn);
        let body = self.config.texts(lang).not_helped.clone();
        self.failed(turn, Some(body));
    }

    /// A message that did not move things forward: say so and show the menu, or hand over
    /// after too many in a row.
    fn failed(&self, turn: &mut Turn, message: Option<String>) {
        turn.state.failed_attempts += 1;
        if turn.state.failed_attempts >= self.config.file.limits.max_failed_attempts {
            self.handoff(turn, HandoffReason::FailedAttempts, None);
            return;
        }
        let lang = self.lang(turn);
        let body = message.unwrap_or_else(|| self.config.texts(lang).fallback.clone());
        turn.replies.push(Reply::Text { body });
        self.end_flow(turn);
        self.menu(turn);
    }

    fn end_flow(&self, turn: &mut Turn) {
        turn.state.flow = None;
        turn.state.step = None;
    }

    fn menu(&self, turn: &mut Turn) {
        let lang = self.lang(turn);
        let texts = self.config.texts(lang);
        let menu = &self.config.file.menu;
        let titles = menu
            .titles
            .get(&lang)
            .or_else(|| menu.titles.get(&self.config.file.default_language));
        let choices: Vec<Choice> = menu
            .items
            .iter()
            .map(|item| Choice {
                id: format!("{MENU_PREFIX}{item}"),
                title: titles
                    .and_then(|t| t.get(item))
                    .cloned()
                    .unwrap_or_else(|| item.clone()),
            })
            .collect();
        turn.replies
            .push(choice_reply(&texts.menu, &texts.menu_button, choices));
    }

    fn ask_confirmation(&self, turn: &mut Turn) {
        let texts = self.config.texts(self.lang(turn));
        turn.replies.push(Reply::Buttons {
            body: texts.confirm.clone(),
            buttons: vec![
                Choice {
                    id: CONFIRM_YES.into(),
                    title: texts.confirm_yes.clone(),
                },
                Choice {
                    id: CONFIRM_NO.into(),
                    title: texts.confirm_no.clone(),
                },
            ],
        });
        turn.state.awaiting_confirmation = true;
        turn.state.answered_at = Some(turn.now);
    }

    /// The customer's answer while the bot waits for a postcode. True: the turn is decided (a
    /// lookup with the postcode, or a miss); false: the customer moved on to something else.
    fn postcode_answer(&self, turn: &mut Turn, text: &str, clarifying: &[String]) -> bool {
        let Some(order_id) = turn.state.order_id.clone() else {
            turn.state.awaiting_postcode = false;
            return false;
        };
        if let Some(postcode) = postcode_in(text) {
            turn.lookup = Some(OrderRequest {
                order_id,
                postcode: Some(postcode),
            });
            return true;
        }
        // A menu number or title is a choice, not a wrong postcode (a postcode has three or more
        // characters with a digit, so the two never overlap).
        let flow = turn.state.flow.clone().unwrap_or_default();
        if self.picked(text, clarifying).is_some() || self.switches_intent(text, &flow) {
            turn.state.awaiting_postcode = false;
            turn.state.order_id = None;
            self.end_flow(turn);
            return false;
        }
        turn.state.failed_attempts += 1;
        if turn.state.failed_attempts >= self.config.file.limits.max_failed_attempts {
            turn.state.awaiting_postcode = false;
            self.handoff(turn, HandoffReason::FailedAttempts, None);
        } else {
            let lang = self.lang(turn);
            let body = self.render(&self.config.texts(lang).order_ask_postcode, turn);
            turn.replies.push(Reply::Text { body });
        }
        true
    }

    /// The message clearly asks for something other than the current flow.
    fn switches_intent(&self, text: &str, flow: &str) -> bool {
        self.best(text)
            .and_then(|m| self.config.intent(&m.intent).map(|i| i.flow != flow))
            .unwrap_or(false)
    }

    fn render(&self, template: &str, turn: &Turn) -> String {
        let name = turn
            .customer_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let mut out = match name {
            Some(name) => template.replace("{customer_name}", name),
            // "Hallo {customer_name}!" -> "Hallo!"
            None => template
                .replace(" {customer_name}", "")
                .replace("{customer_name}", ""),
        };
        out = out.replace("{company}", &self.config.file.company);
        if let Some(id) = &turn.state.order_id {
            out = out.replace("{order_id}", id);
        }
        out
    }

    fn render_order(&self, template: &str, turn: &Turn, order: &OrderInfo) -> String {
        self.render(template, turn)
            .replace("{order_id}", &order.order_id)
            .replace("{order_status}", &order.status)
            .replace("{carrier}", order.carrier.as_deref().unwrap_or("-"))
            .replace(
                "{tracking_url}",
                order.tracking_url.as_deref().unwrap_or("-"),
            )
            .replace("{eta}", order.eta.as_deref().unwrap_or("-"))
    }
}

/// A postcode in a message: one word of 3-10 letters and digits with at least one digit, or
/// two such words (e.g. "SW1A 1AA"); a message with more words is not a postcode answer.
fn postcode_in(text: &str) -> Option<String> {
    let cleaned: String = text
        .trim()
        .trim_end_matches(['.', '!'])
        .chars()
        .filter(|c| *c != '-')
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    if words.is_empty() || words.len() > 2 {
        return None;
    }
    let joined: String = words.concat();
    let ok = (3..=10).contains(&joined.len())
        && joined.chars().all(|c| c.is_ascii_alphanumeric())
        && joined.chars().any(|c| c.is_ascii_digit());
    ok.then(|| normalize_postcode(&joined))
}

/// Buttons when the choices fit (three or fewer), otherwise a list. The body numbers the
/// choices so a customer can always answer with a number.
fn choice_reply(prompt: &str, button: &str, choices: Vec<Choice>) -> Reply {
    let mut body = prompt.to_owned();
    for (i, c) in choices.iter().enumerate() {
        body.push_str(&format!("\n{}. {}", i + 1, c.title));
    }
    if choices.len() <= MAX_BUTTONS {
        Reply::Buttons {
            body,
            buttons: choices,
        }
    } else {
        Reply::List {
            body,
            button: button.to_owned(),
            rows: choices,
        }
    }
}

#[cfg(test)]
mod tests;
