//! `helpdesk-local bot`: try a bot configuration before deploying it. Reads customer messages
//! line by line from stdin and prints the bot's replies, the intent and score, and any handoff.
//! The real engine runs over in-memory adapters (demo orders 100234, 100235, 100236).

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

use helpdesk::app::bot_reply::Bot;
use helpdesk::domain::bot::eval::{
    Report, cross_validate, handoff_requests, handoff_requests2, holdout, holdout2, holdout3,
    holdout4, holdout5, holdout6, near_misses, near_misses2, near_misses3, near_misses4,
    near_misses5, near_misses6, near_misses7, near_misses8, off_topic, test_split, totals,
};
use helpdesk::domain::bot::model::{Settings, parse_labelled};
use helpdesk::domain::bot::{BotConfig, BotState, Inbound, Lang, Reply, Turn};
use helpdesk::ports::clock::{Clock, SystemClock};
use helpdesk::ports::orders::MemoryOrders;
use serde_json::json;

#[derive(Debug, PartialEq)]
pub struct Options<'a> {
    pub config: Option<&'a str>,
    pub lang: Option<&'a str>,
    pub json: bool,
}

#[derive(Debug, PartialEq)]
pub struct EvalOptions<'a> {
    pub config: Option<&'a str>,
    /// A labelled set (label<TAB>message) instead of the shipped test split.
    pub set: Option<&'a str>,
    /// A near-miss set instead of the shipped one.
    pub near: Option<&'a str>,
    /// A training split (label<TAB>message) instead of the shipped one: the model is retrained on
    /// it, so new training lines are measured without rebuilding.
    pub train: Option<&'a str>,
    /// Also print five-fold cross-validation on the training split.
    pub cv: bool,
}

/// `helpdesk-local bot eval`: how well the configuration's model understands labelled messages
/// it was not trained on, and how often it hands over where it must not.
pub fn eval(options: EvalOptions<'_>) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = match options.config {
        Some(path) => BotConfig::load(Path::new(path))?,
        None => BotConfig::default_shop(),
    };
    let read = |path: &str| -> Result<_, Box<dyn std::error::Error>> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        Ok(parse_labelled(&text).map_err(|e| format!("{path}: {e}"))?)
    };
    let settings = settings_from_env()?;
    if let Some(path) = options.train {
        config.training = Arc::new(read(path)?);
        config.retrain_with(settings);
    } else if settings != Settings::default() {
        config.retrain_with(settings);
    }
    let set = match options.set {
        Some(path) => read(path)?,
        None => test_split(),
    };
    let near = match options.near {
        Some(path) => read(path)?,
        None => near_misses(),
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "model: {} labels, trained on the configuration's examples and {} training messages",
        config.model.labels().len(),
        config.training.len()
    )?;
    if options.cv {
        cross_validation(&mut out, &config)?;
    }
    let name = options.set.unwrap_or("test split (config/bot-test.tsv)");
    writeln!(out, "{}", Report::run(&config, &set).render(name))?;
    if options.set.is_none() {
        let name = "second held-out set, never tuned on (config/bot-holdout.tsv)";
        writeln!(out, "{}", Report::run(&config, &holdout()).render(name))?;
        let name = "third held-out set, customer style, never tuned on (config/bot-holdout2.tsv)";
        writeln!(out, "{}", Report::run(&config, &holdout2()).render(name))?;
        let name = "fourth held-out set, customer style, never tuned on (config/bot-holdout3.tsv)";
        writeln!(out, "{}", Report::run(&config, &holdout3()).render(name))?;
        let name = "fifth held-out set, customer style, never tuned on (config/bot-holdout4.tsv)";
        writeln!(out, "{}", Report::run(&config, &holdout4()).render(name))?;
        let name = "sixth held-out set, customer style, never tuned on (config/bot-holdout5.tsv)";
        writeln!(out, "{}", Report::run(&config, &holdout5()).render(name))?;
        let name = "seventh held-out set, customer style, never tuned on (config/bot-holdout6.tsv)";
        writeln!(out, "{}", Report::run(&config, &holdout6()).render(name))?;
        let name = "off-topic development set: off-topic and unusual on-topic messages, tuned on (config/bot-offtopic.tsv)";
        writeln!(out, "{}", Report::run(&config, &off_topic()).render(name))?;
    }
    let name = options
        .near
        .unwrap_or("near misses that must not hand over (config/bot-nearmiss.tsv)");
    writeln!(out, "{}", Report::run(&config, &near).render(name))?;
    if options.near.is_none() {
        shipped_handoff_sets(&mut out, &config)?;
    }
    Ok(())
}

/// Five-fold cross-validation on the training split, summed over the folds (each fold's report
/// too with `CV_VERBOSE`).
fn cross_validation(
    out: &mut impl Write,
    config: &BotConfig,
) -> Result<(), Box<dyn std::error::Error>> {
    let folds = cross_validate(config, settings_from_env()?);
    writeln!(
        out,
        "five-fold cross-validation on the training split: {}",
        totals(&folds)
    )?;
    if std::env::var_os("CV_VERBOSE").is_some() {
        for (fold, r) in folds.iter().enumerate() {
            writeln!(
                out,
                "{}",
                r.render(&format!("cross-validation fold {fold}"))
            )?;
        }
    }
    Ok(())
}

/// The shipped sets about handing over beyond the first near-miss set: the other near misses
/// and the real requests for a person (with their recall).
fn shipped_handoff_sets(
    out: &mut impl Write,
    config: &BotConfig,
) -> Result<(), Box<dyn std::error::Error>> {
    let name = "second near-miss set: negated or embedded handoff words (config/bot-nearmiss2.tsv)";
    writeln!(out, "{}", Report::run(config, &near_misses2()).render(name))?;
    let name = "fourth near-miss set: adverbs of time, denied fraud, declined handoffs, topic words (config/bot-nearmiss4.tsv)";
    writeln!(out, "{}", Report::run(config, &near_misses4()).render(name))?;
    recall(
        out,
        &Report::run(config, &handoff_requests()),
        "config/bot-handoff.tsv",
        "real requests for a person",
    )?;
    recall(
        out,
        &Report::run(config, &handoff_requests2()),
        "config/bot-handoff2.tsv",
        "second set of real requests: indirect, time pressure, stories",
    )?;
    let name = "sixth near-miss set: times without pressure, staff in thanks, someone else's person (config/bot-nearmiss6.tsv)";
    writeln!(out, "{}", Report::run(config, &near_misses6()).render(name))?;
    let name = "third near-miss set: negated, embedded or look-alike handoff words (config/bot-nearmiss3.tsv)";
    writeln!(out, "{}", Report::run(config, &near_misses3()).render(name))?;
    let name = "fifth near-miss set: negated, embedded, quoted or look-alike handoff words (config/bot-nearmiss5.tsv)";
    writeln!(out, "{}", Report::run(config, &near_misses5()).render(name))?;
    let name = "seventh near-miss set: negated, quoted or embedded handoff words, greetings, off-topic (config/bot-nearmiss7.tsv)";
    writeln!(out, "{}", Report::run(config, &near_misses7()).render(name))?;
    let name = "eighth near-miss set: negated, embedded or look-alike handoff words, self-descriptions, greetings, off-topic (config/bot-nearmiss8.tsv)";
    writeln!(out, "{}", Report::run(config, &near_misses8()).render(name))?;
    Ok(())
}

/// A set of real requests: its recall (handed over at once, with the right reason) and report.
fn recall(
    out: &mut impl Write,
    requests: &Report,
    file: &str,
    what: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let pct = |n: usize| 100.0 * n as f64 / requests.total().max(1) as f64;
    writeln!(
        out,
        "handoff recall ({file}): handed over at once {}/{} = {:.1} %, with the right reason {}/{} = {:.1} %",
        requests.handed_over(),
        requests.total(),
        pct(requests.handed_over()),
        requests.right(),
        requests.total(),
        pct(requests.right())
    )?;
    writeln!(out, "{}", requests.render(&format!("{what} ({file})")))?;
    Ok(())
}

/// The model's settings for cross-validation and the measured sets: the defaults, with
/// `CV_SETTINGS="name=value,..."` overriding some (a tuning aid: each CV run retrains five models).
fn settings_from_env() -> Result<Settings, Box<dyn std::error::Error>> {
    let mut s = Settings::default();
    let Ok(list) = std::env::var("CV_SETTINGS") else {
        return Ok(s);
    };
    for pair in list.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("CV_SETTINGS: {pair:?} is not name=value"))?;
        let v: f32 = value
            .trim()
            .parse()
            .map_err(|_| format!("CV_SETTINGS: {value:?} is not a number"))?;
        match name.trim() {
            "epochs" => s.epochs = v as usize,
            "learning_rate" => s.learning_rate = v,
            "decay" => s.decay = v,
            "l2" => s.l2 = v,
            "term_weight" => s.term_weight = v,
            "char_weight" => s.char_weight = v,
            "bigram_weight" => s.bigram_weight = v,
            "negated_weight" => s.negated_weight = v,
            "class_balance" => s.class_balance = v,
            "polarity_weight" => s.polarity_weight = v,
            "unknown_weight" => s.unknown_weight = v,
            "none_weight" => s.none_weight = v,
            "none_ask_ratio" => s.none_ask_ratio = v,
            "dropout" => s.dropout = v,
            other => return Err(format!("CV_SETTINGS: no setting {other:?}").into()),
        }
    }
    Ok(s)
}

pub async fn run(options: Options<'_>) -> Result<(), Box<dyn std::error::Error>> {
    let config = match options.config {
        Some(path) => BotConfig::load(Path::new(path))?,
        None => BotConfig::default_shop(),
    };
    let lang = match options.lang {
        None => None,
        Some("de") => Some(Lang::De),
        Some("en") => Some(Lang::En),
        Some(other) => return Err(format!("--lang must be de or en, not {other:?}").into()),
    };
    let bot = Bot::new(Arc::new(config), Arc::new(MemoryOrders::demo()));
    let mut state = BotState {
        language: lang,
        ..BotState::default()
    };
    // The demo shop's customer, so the demo orders show their status.
    let customer = helpdesk::domain::ids::WaId::parse(helpdesk::ports::orders::DEMO_CUSTOMER)?;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        // A line "#id" taps the reply button or list row with that id.
        let (reply_id, text) = match text.strip_prefix('#') {
            Some(id) => (Some(id), id),
            None => (None, text),
        };
        if lang.is_some() {
            state.language = lang;
        }
        let input = Inbound {
            text: Some(text),
            reply_id,
            customer_name: Some("Test"),
            language_hint: lang,
            ..Default::default()
        };
        let turn = bot
            .answer(&state, &input, &customer, SystemClock.now())
            .await;
        if options.json {
            write_json_turn(&mut out, text, &turn)?;
        } else {
            write_turn(&mut out, text, &turn)?;
        }
        out.flush()?;
        state = turn.state;
        if turn.handoff.is_some() || turn.resolved {
            // The next message starts a new conversation with the bot, as after a handoff or resolution.
            state = BotState {
                language: state.language,
                greeted: true,
                ..BotState::default()
            };
        }
    }
    Ok(())
}

/// One JSON line per turn: the input, the intent and its score, and what the bot did.
fn write_json_turn(out: &mut impl Write, text: &str, turn: &Turn) -> std::io::Result<()> {
    let line = json!({
        "input": text,
        "intent": turn.intent.as_ref().map(|m| m.intent.as_str()),
        "score": turn.intent.as_ref().map(|m| (m.score * 1000.0).round() / 1000.0),
        "replies": turn.replies,
        "handoff": turn.handoff,
        "resolved": turn.resolved,
        "consent": turn.consent,
    });
    writeln!(out, "{line}")?;
    Ok(())
}

/// A turn as a person reads it: the input, the intent, the replies with their choices, and
/// any handoff, resolution or consent.
fn write_turn(out: &mut impl Write, text: &str, turn: &Turn) -> std::io::Result<()> {
    writeln!(out, "> {text}")?;
    if let Some(m) = &turn.intent {
        writeln!(out, "  [intent {} {:.2}]", m.intent, m.score)?;
    }
    for reply in &turn.replies {
        writeln!(out, "  bot: {}", reply.body().replace('\n', "\n       "))?;
        match reply {
            Reply::Buttons { buttons, .. } => {
                let ids: Vec<String> = buttons
                    .iter()
                    .map(|b| format!("#{} ({})", b.id, b.title))
                    .collect();
                writeln!(out, "       buttons: {}", ids.join(", "))?;
            }
            Reply::List { rows, .. } => {
                let ids: Vec<String> = rows
                    .iter()
                    .map(|b| format!("#{} ({})", b.id, b.title))
                    .collect();
                writeln!(out, "       list: {}", ids.join(", "))?;
            }
            Reply::Text { .. }
            | Reply::QuotedText { .. }
            | Reply::Reaction { .. }
            | Reply::Media { .. }
            | Reply::Template(_) => {}
        }
    }
    if let Some(h) = &turn.handoff {
        writeln!(
            out,
            "  [handoff: {} priority {:?}]",
            h.reason.as_str(),
            h.priority
        )?;
    }
    if turn.resolved {
        writeln!(out, "  [resolved by the bot]")?;
    }
    if let Some(consent) = turn.consent {
        writeln!(out, "  [consent recorded: {consent:?}]")?;
    }
    Ok(())
}
