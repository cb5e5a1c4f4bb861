//! Consent to business-initiated messages (templates, the satisfaction survey): recorded with
//! time and source, given by the customer's keyword ("START", "Anmelden") or through the agent
//! API (a web form, a signed paper); withdrawn at once by "STOP", "Stopp" or "Abmelden", with a
//! confirmation. Replies to a customer's own message inside the 24 h window need no consent.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::bot::Lang;
use crate::domain::whatsapp::OutboundBody;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub opted_in: bool,
    pub at: Timestamp,
    /// `keyword`, `api:<agent>`, or what the API caller named (`web_form`, ...).
    pub source: String,
}

impl Consent {
    /// Whether business-initiated messages may go to a customer with this record.
    pub fn allows_business_messages(consent: Option<&Consent>) -> bool {
        consent.is_some_and(|c| c.opted_in)
    }
}

/// A consent keyword, alone in a message (or a change the customer confirmed in the bot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keyword {
    OptIn,
    OptOut,
}

impl Keyword {
    pub fn find(text: Option<&str>) -> Option<Self> {
        let word = text?.trim().trim_end_matches(['.', '!']).to_lowercase();
        match word.as_str() {
            "stop" | "stopp" | "abmelden" | "abbestellen" | "unsubscribe" => Some(Self::OptOut),
            "start" | "anmelden" | "subscribe" => Some(Self::OptIn),
            _ => None,
        }
    }

    /// The confirmation to the customer.
    pub fn confirmation(self, lang: Option<Lang>) -> OutboundBody {
        let de = lang != Some(Lang::En);
        let body = match (self, de) {
            (Self::OptOut, true) => {
                "Sie sind abgemeldet: Wir schicken Ihnen keine Benachrichtigungen oder Umfragen mehr. Auf Ihre Nachrichten antworten wir weiterhin. Mit START melden Sie sich wieder an."
            }
            (Self::OptOut, false) => {
                "You are unsubscribed: we will send you no more notifications or surveys. We still answer your messages. Send START to subscribe again."
            }
            (Self::OptIn, true) => {
                "Danke! Wir dürfen Ihnen jetzt Neuigkeiten zu Ihren Anfragen schicken. Mit STOP melden Sie sich jederzeit ab."
            }
            (Self::OptIn, false) => {
                "Thank you! We may now send you updates about your requests. Send STOP to unsubscribe at any time."
            }
        };
        OutboundBody::Text { body: body.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_alone_opt_out_and_start_words_opt_in() {
        for w in [
            "STOP",
            "Stopp",
            " abmelden ",
            "Abbestellen.",
            "unsubscribe!",
        ] {
            assert_eq!(Keyword::find(Some(w)), Some(Keyword::OptOut), "{w}");
        }
        for w in ["START", "Anmelden", "subscribe"] {
            assert_eq!(Keyword::find(Some(w)), Some(Keyword::OptIn), "{w}");
        }
    }

    #[test]
    fn the_words_inside_a_sentence_are_not_a_keyword() {
        for w in [
            "Stopp, falsche Adresse!",
            "Wie kann ich mich anmelden?",
            "",
            "stop it",
        ] {
            assert_eq!(Keyword::find(Some(w)), None, "{w}");
        }
        assert_eq!(Keyword::find(None), None);
    }

    #[test]
    fn only_a_recorded_opt_in_allows_business_messages() {
        let at = Timestamp::from_second(1_795_510_800).unwrap();
        let yes = Consent {
            opted_in: true,
            at,
            source: "keyword".into(),
        };
        let no = Consent {
            opted_in: false,
            ..yes.clone()
        };
        assert!(Consent::allows_business_messages(Some(&yes)));
        assert!(!Consent::allows_business_messages(Some(&no)));
        assert!(!Consent::allows_business_messages(None));
    }
}
