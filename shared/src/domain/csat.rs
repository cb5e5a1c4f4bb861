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

/// The name of the approved template that asks for a rating outside the 24 h window
/// (`config/templates.toml`; the customer answers with a digit 1-5).
pub const SURVEY_TEMPLATE: &str = "csat_survey";

/// Why a resolved ticket's customer was not asked for a rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAsked {
    /// The customer sent STOP: no surveys at all.
    OptedOut,
    /// Outside the 24 h window without a recorded opt-in.
    NoOptIn,
    /// Outside the window, opted in, but no approved `csat_survey` template in the catalogue.
    NoTemplate,
}

/// Whether and how to ask for a rating after a resolve. Inside the 24 h window the question is
/// part of the service conversation: everyone who has not opted out gets the list. Outside the
/// window only a business-initiated template may go, and only to a customer who opted in.
pub fn ask(
    consent: Option<&crate::domain::consent::Consent>,
    window_open: bool,
    lang: Option<Lang>,
    template: Option<&crate::domain::templates::ApprovedTemplate>,
) -> Result<OutboundBody, NotAsked> {
    let opted_out = consent.is_some_and(|c| !c.opted_in);
    if opted_out {
        return Err(NotAsked::OptedOut);
    }
    if window_open {
        return Ok(survey(lang));
    }
    if !crate::domain::consent::Consent::allows_business_messages(consent) {
        return Err(NotAsked::NoOptIn);
    }
    let t = template.ok_or(NotAsked::NoTemplate)?;
    Ok(OutboundBody::Template(crate::domain::whatsapp::Template {
        name: t.name.clone(),
        language: t.language.clone(),
        components: Vec::new(),
    }))
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

    fn consent(opted_in: bool) -> crate::domain::consent::Consent {
        crate::domain::consent::Consent {
            opted_in,
            at: jiff::Timestamp::from_second(1_795_510_800).unwrap(),
            source: "keyword".into(),
        }
    }

    fn template() -> crate::domain::templates::ApprovedTemplate {
        crate::domain::templates::ApprovedTemplate {
            name: SURVEY_TEMPLATE.into(),
            language: "en".into(),
            category: "utility".into(),
            body: "How satisfied were you? Reply 1-5.".into(),
            ..Default::default()
        }
    }

    #[test]
    fn inside_the_window_everyone_but_an_opted_out_customer_is_asked() {
        assert!(matches!(
            ask(None, true, None, None),
            Ok(OutboundBody::List { .. })
        ));
        assert!(matches!(
            ask(Some(&consent(true)), true, None, None),
            Ok(OutboundBody::List { .. })
        ));
        assert_eq!(
            ask(Some(&consent(false)), true, None, Some(&template())),
            Err(NotAsked::OptedOut)
        );
    }

    #[test]
    fn outside_the_window_only_an_opted_in_customer_gets_the_template() {
        let Ok(OutboundBody::Template(t)) =
            ask(Some(&consent(true)), false, None, Some(&template()))
        else {
            panic!("a template");
        };
        assert_eq!(t.name, SURVEY_TEMPLATE);
        assert_eq!(
            ask(None, false, None, Some(&template())),
            Err(NotAsked::NoOptIn)
        );
        assert_eq!(
            ask(Some(&consent(true)), false, None, None),
            Err(NotAsked::NoTemplate)
        );
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
