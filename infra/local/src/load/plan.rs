//! The load a run sends: drawn from one seeded generator, so the same start plans the same
//! requests.

use super::*;

/// A small deterministic generator (SplitMix64): the same run plans the same load.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What a planned request is, for the counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    First,
    FollowUp,
    Duplicate,
    Status,
}

/// One planned request.
pub(super) struct Planned {
    pub(super) at: Duration,
    pub(super) kind: Kind,
    /// Customer index (messages and duplicates).
    pub(super) customer: Option<usize>,
    /// The message's wamid (messages and duplicates).
    pub(super) wamid: Option<String>,
    pub(super) body: Arc<String>,
    pub(super) out_of_order: bool,
    pub(super) image: bool,
}

/// Customers' texts: questions, follow-ups, thanks; nothing that needs a person at once.
const TEXTS: &[&str] = &[
    "Hallo, wo ist mein Paket?",
    "100234",
    "Wie lange dauert der Versand?",
    "Ich möchte etwas zurückgeben",
    "Danke!",
    "Welche Größe passt mir?",
    "Where is my order?",
    "How much is shipping to Austria?",
    "Kann ich mit PayPal zahlen?",
    "1",
    "ja",
    "Hello",
];

pub(super) struct Plan {
    pub(super) requests: Vec<Planned>,
    pub(super) run: String,
}

pub(super) fn plan(options: &Options, media_id: &str, start: Timestamp) -> Plan {
    let mut planner = Planner::new(options, media_id, start);
    let total = (options.rate as usize) * (options.duration_secs as usize);
    planner.requests.reserve(total);
    for i in 0..total {
        let at = Duration::from_secs_f64(i as f64 / f64::from(options.rate));
        let roll = planner.dice.below(100);
        let planned = if roll < 10 && !planner.originals.is_empty() {
            planner.redelivery(at)
        } else if roll < 15 {
            planner.status(i, at)
        } else {
            planner.message(i, at)
        };
        planner.requests.push(planned);
    }
    Plan {
        requests: planner.requests,
        run: planner.run,
    }
}

/// The plan as it is drawn, request by request, from one [`Dice`].
struct Planner<'a> {
    options: &'a Options,
    media_id: &'a str,
    start: Timestamp,
    run: String,
    dice: Dice,
    requests: Vec<Planned>,
    /// Customers started so far.
    started: usize,
    /// Messages sent so far (index into `requests`), for redeliveries.
    originals: Vec<usize>,
}

impl<'a> Planner<'a> {
    fn new(options: &'a Options, media_id: &'a str, start: Timestamp) -> Self {
        Self {
            options,
            media_id,
            start,
            run: format!("{:04}", start.as_second().rem_euclid(10_000)),
            dice: Dice(start.as_nanosecond() as u64),
            requests: Vec::new(),
            started: 0,
            originals: Vec::new(),
        }
    }

    fn sent_at(&self, at: Duration) -> i64 {
        self.start.as_second() + at.as_secs() as i64
    }

    /// An exact redelivery: often right behind the original (a race), else seconds later.
    fn redelivery(&mut self, at: Duration) -> Planned {
        let back = if self.dice.chance(50) {
            1
        } else {
            1 + self.dice.below(5 * u64::from(self.options.rate)) as usize
        };
        let of = self.originals[self.originals.len().saturating_sub(back)];
        let original = &self.requests[of];
        Planned {
            at,
            kind: Kind::Duplicate,
            customer: original.customer,
            wamid: original.wamid.clone(),
            body: original.body.clone(),
            out_of_order: original.out_of_order,
            image: original.image,
        }
    }

    /// A delivery status of a message the helpdesk never sent (counted, then skipped).
    fn status(&mut self, i: usize, at: Duration) -> Planned {
        let wamid = format!("wamid.load{}status{i}", self.run);
        let status = SampleStatus {
            wamid: &wamid,
            status: ["sent", "delivered", "read"][self.dice.below(3) as usize],
            recipient: "4915100000000",
            timestamp: self.sent_at(at),
        };
        Planned {
            at,
            kind: Kind::Status,
            customer: None,
            wamid: None,
            body: Arc::new(status_notification(
                self.options.phone_number_id.as_str(),
                &[status],
            )),
            out_of_order: false,
            image: false,
        }
    }

    /// A customer's message: a new customer now and then (up to `customers`), else one of
    /// those started; some sent with an older timestamp, some an image.
    fn message(&mut self, i: usize, at: Duration) -> Planned {
        let sent_at = self.sent_at(at);
        let new_customer = self.started < self.options.customers as usize
            && (self.started == 0 || self.dice.chance(25));
        let customer = if new_customer {
            self.started += 1;
            self.started - 1
        } else {
            self.dice.below(self.started as u64) as usize
        };
        let wa_id = customer_wa_id(&self.run, customer);
        let wamid = format!("wamid.load{}c{customer}m{i}", self.run);
        let out_of_order = self.dice.chance(10);
        let timestamp = if out_of_order {
            sent_at - 1 - self.dice.below(90) as i64
        } else {
            sent_at
        };
        let image = self.dice.chance(10);
        let mut message = json!({ "from": wa_id, "id": wamid, "timestamp": timestamp.to_string() });
        if image {
            message["type"] = json!("image");
            message["image"] = json!({
                "id": self.media_id,
                "mime_type": "image/png",
                "caption": "Foto vom Karton",
            });
        } else {
            message["type"] = json!("text");
            message["text"] =
                json!({ "body": TEXTS[self.dice.below(TEXTS.len() as u64) as usize] });
        }
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": self.options.display_phone_number, "phone_number_id": self.options.phone_number_id.as_str() },
                "contacts": [{ "profile": { "name": format!("Kundin {customer}") }, "wa_id": wa_id }],
                "messages": [message],
            }}]}],
        });
        self.originals.push(self.requests.len());
        Planned {
            at,
            kind: if new_customer {
                Kind::First
            } else {
                Kind::FollowUp
            },
            customer: Some(customer),
            wamid: Some(wamid),
            body: Arc::new(body.to_string()),
            out_of_order,
            image,
        }
    }
}

/// `49` + run + customer: digits only, unique per run.
pub(super) fn customer_wa_id(run: &str, customer: usize) -> String {
    format!("49{run}{customer:08}")
}
