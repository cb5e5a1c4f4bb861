//! The satisfaction survey after a person resolves a ticket: a list of five ratings the customer
//! taps (or types 1-5); the answer is stored on the ticket and counted in the analytics.

use crate::domain::bot::Lang;
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::domain::whatsapp::{Choice, OutboundBody};

/// The reply id prefix of a rating row: `csat:<score>`.
const PREFIX: &str = "csat:";

/// The survey, in the customer's language.
pub fn survey(lang: Option<Lang>) -> OutboundBody {
    let de = lang == Some(Lang::De);
    let titles: [&str; 5] = if de {
        [
            "5 - sehr gut",
            "4 - gut",
            "3 - geht so",
            "2 - schlecht",
            "1 - sehr schlecht",
        ]
    } else {
        [
            "5 - very good",
            "4 - good",
            "3 - okay",
            "2 - poor",
            "1 - very poor",
        ]
    };
    OutboundBody::List {
        body: if de {
            "Ihr Anliegen ist erledigt. Wie zufrieden waren Sie mit unserer Hilfe?".into()
        } else {
            "Your request is resolved. How satisfied were you with our help?".into()
        },
        button: if de { "Bewerten" } else { "Rate us" }.into(),
        rows: titles
            .iter()
            .zip((1..=5).rev())
            .map(|(title, score)| Choice {
                id: format!("{PREFIX}{score}"),
                title: (*title).to_owned(),
            })
            .collect(),
    }
}

pub fn thanks(lang: Option<Lang>) -> OutboundBody {
    OutboundBody::Text {
        body: if lang == Some(Lang::De) {
            "Danke für Ihre Bewertung! Schreiben Sie uns jederzeit wieder.".into()
        } else {
            "Thank you for your rating! Write to us any time.".into()
        },
    }
}

/// The rating in a customer message, if the ticket waits for one: a tapped row, or a typed
/// digit 1-5.
pub fn answer(ticket: &Ticket, reply_id: Option<&str>, text: Option<&str>) -> Option<u8> {
    if ticket.status != TicketStatus::Resolved
        || ticket.csat_asked_at.is_none()
        || ticket.csat.is_some()
    {
        return None;
    }
    let raw = match reply_id {
        Some(id) => id.strip_prefix(PREFIX)?,
        None => text?.trim(),
    };
    raw.parse::<u8>()
        .ok()
        .filter(|s| crate::domain::ticket::Csat::SCORES.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ConversationKey, PhoneNumberId, WaId, Wamid};
    use crate::domain::ticket::Csat;

    fn resolved(asked: bool) -> Ticket {
        let now = jiff::Timestamp::from_second(1_795_510_800).unwrap();
        let key = ConversationKey {
            phone_number_id: PhoneNumberId::parse("1065").unwrap(),
            wa_id: WaId::parse("4915112345678").unwrap(),
        };
        let mut t = Ticket::open(key, Wamid::parse("wamid.A").unwrap(), now, None, now);
        t.status = TicketStatus::Resolved;
        t.csat_asked_at = asked.then_some(now);
        t
    }

    #[test]
    fn a_tapped_row_or_a_typed_digit_is_a_rating() {
        let t = resolved(true);
        assert_eq!(answer(&t, Some("csat:4"), Some("4 - good")), Some(4));
        assert_eq!(answer(&t, None, Some(" 2 ")), Some(2));
        assert_eq!(answer(&t, None, Some("6")), None);
        assert_eq!(answer(&t, None, Some("Wo ist mein Paket?")), None);
        assert_eq!(answer(&t, Some("menu:orders"), None), None);
    }

    #[test]
    fn only_an_asked_and_unanswered_survey_takes_a_rating() {
        assert_eq!(answer(&resolved(false), None, Some("5")), None);
        let mut rated = resolved(true);
        rated.csat = Some(Csat {
            score: 3,
            at: rated.created_at,
        });
        assert_eq!(answer(&rated, None, Some("5")), None);
        let mut reopened = resolved(true);
        reopened.status = TicketStatus::Bot;
        assert_eq!(answer(&reopened, None, Some("5")), None);
    }

    #[test]
    fn the_survey_fits_whatsapp_list_limits() {
        for lang in [Some(Lang::De), Some(Lang::En), None] {
            let OutboundBody::List { rows, button, .. } = survey(lang) else {
                panic!("a list");
            };
            assert_eq!(rows.len(), 5);
            assert!(button.chars().count() <= 20);
            assert!(rows.iter().all(|r| r.title.chars().count() <= 24));
        }
    }
}
