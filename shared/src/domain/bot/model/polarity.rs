//! A subscription request's direction (off or on): a feature of its own, as the linear model
//! cannot tell "updates deaktivieren" from "updates aktivieren" by their shared topic words.

/// Word beginnings of what a subscription is about: messages, notifications, updates, the list.
const SUBSCRIPTION_TOPICS: &[&str] = &[
    "nachricht",
    "benachrichtig",
    "mitteilung",
    "message",
    "messaging",
    "notif",
    "update",
    "whatsapp",
    "newsletter",
    "info",
    "news",
    "text",
    "sms",
    "subscri",
    "abo",
    "verteiler",
    "list",
    "opt",
    "kontakt",
    "contact",
    "schreib",
    "anschreib",
    "werbung",
    "push",
];

/// Word beginnings of signing on or off ("meldet mich ab", "melde mich wieder an"): a
/// subscription only with "mich"; "die Retoure anmelden" registers a return.
const SIGN_ON_OFF: &[&str] = &["meld", "anmeld", "abmeld"];

/// Words that switch a subscription off, as they are or as word beginnings ("ausschalten",
/// "abmelden", "unsubscribe"); negations count too ("keine Nachrichten mehr", "dont text me").
const SWITCH_OFF: &[&str] = &[
    "aus",
    "ausschalt",
    "ausstell",
    "abstell",
    "abschalt",
    "deaktiv",
    "disabl",
    "deactiv",
    "unsubscri",
    "abbestell",
    "abmeld",
    "austrag",
    "cancel",
    "kuendig",
    "stop",
    "off",
    "out",
    "remov",
    "entfern",
    "loesch",
    "aufhoer",
    "hoert",
    "hoer",
    "schluss",
    "quit",
    "anymore",
    "leave",
];

/// Negations: off only in a message about a subscription ("keine Nachrichten mehr"), not in a
/// short answer ("no thanks").
const SWITCH_OFF_NEGATIONS: &[&str] = &[
    "nicht", "kein", "keine", "keinen", "nie", "nix", "nichts", "no", "not", "dont", "never",
];

/// Words that switch a subscription (back) on ("wieder aktivieren", "turn on", "opt in").
const SWITCH_ON: &[&str] = &[
    "in",
    "einschalt",
    "anschalt",
    "aktivier",
    "activat",
    "enabl",
    "subscri",
    "resubscri",
    "anmeld",
    "wieder",
    "again",
    "back",
    "start",
    "zulass",
    "erlaub",
];

/// Separable particles: they switch only at the end of a message ("meldet mich ab", "schaltet
/// die Nachrichten wieder an") or after "turn"/"switch" ("turn on notifications"); elsewhere
/// they are prepositions and articles ("ein Update zu meiner Bestellung", "an update on my order").
const PARTICLES_OFF: &[&str] = &["ab", "aus", "off"];
const PARTICLES_ON: &[&str] = &["an", "ein", "on"];

/// Whether `words[i]` is a separable particle of `list` in a place where it switches.
fn particle(words: &[&str], i: usize, list: &[&str]) -> bool {
    list.contains(&words[i])
        && (i + 1 == words.len()
            || i > 0 && matches!(words[i - 1], "turn" | "switch" | "schalte" | "schaltet"))
}

/// Short words of [`SWITCH_OFF`] / [`SWITCH_ON`] that count only as whole words.
fn switch_word(word: &str, list: &[&str]) -> bool {
    list.iter().any(|w| {
        if w.len() <= 4 {
            word == *w
        } else {
            word.starts_with(w)
        }
    })
}

/// Whether a message about subscriptions (messages, notifications, the list, or two words at
/// most: "stop", "opt out") asks to switch them off or on: the linear model cannot tell "updates
/// deaktivieren" from "updates aktivieren" by their shared topic words, so the direction is a
/// feature of its own. Off wins: "dont contact me again", "keine Nachrichten mehr".
pub(super) fn polarity(words: &[&str]) -> Option<&'static [u8]> {
    let topic = words
        .iter()
        .any(|w| SUBSCRIPTION_TOPICS.iter().any(|t| w.starts_with(t)))
        || words.contains(&"mich")
            && words
                .iter()
                .any(|w| SIGN_ON_OFF.iter().any(|t| w.starts_with(t)));
    if !topic && words.len() > 2 {
        return None;
    }
    let off = |(i, w): (usize, &&str)| {
        switch_word(w, SWITCH_OFF)
            || (topic && SWITCH_OFF_NEGATIONS.contains(w))
            || particle(words, i, PARTICLES_OFF)
    };
    if words.iter().enumerate().any(off) {
        return Some(b"off");
    }
    words
        .iter()
        .enumerate()
        .any(|(i, w)| switch_word(w, SWITCH_ON) || particle(words, i, PARTICLES_ON))
        .then_some(b"on".as_slice())
}
