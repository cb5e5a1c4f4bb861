//! How a configuration reads a message: handoff words first, then the intent model, whole
//! and part by part.

use super::*;

/// The model's probability above which it overrules a request or urgency word.
pub(super) const SURE_DESPITE_HANDOFF_WORD: f64 = 0.8;

/// A message with fewer known words than this share is not worth a clarifying question.
pub(super) const MIN_COVERAGE_TO_ASK: f64 = 0.5;

/// The model's probability at which it hands over by an intent (not a handoff word): a false
/// handoff costs a person's time and the customer's wait, a clarifying question one tap.
pub const DEFAULT_HANDOFF_THRESHOLD: f64 = 0.55;

/// The model's answer below this probability is not worth a clarifying question.
pub const DEFAULT_CLARIFY_THRESHOLD: f64 = 0.2;

/// The model's probability of a handing-over intent (fraud aside) at which it needs no sign in
/// the words ("der Service ist a joke", "es pressiert"); below it, the words must show one.
pub(super) const SURE_WITHOUT_SIGNS: f64 = 0.8;

/// The model's probability of fraud at which a statement ("Fakeshop mit eurem Namen") needs
/// no sign; a question ("wie ändere ich meine E-Mail im Konto") always does.
pub(super) const SURE_OF_FRAUD: f64 = 0.9;

/// The model's probability of a complaint at which a question needs no sign in the words: the
/// model learns "echt" from "echt jetzt?!", so "ist das echtes Leder?" reads as a complaint.
pub(super) const SURE_OF_ASKED_COMPLAINT: f64 = 0.9;

impl BotConfig {
    /// What `text` asks for (see the module documentation).
    pub fn understand(&self, text: &str) -> Understanding {
        match self.handoff(text) {
            Some(reason) => Understanding::Handoff(reason),
            None => self.classify(text),
        }
    }

    /// The handoff a message asks for by its words. A request word in a message the model reads,
    /// sure, as one that does not ask for a person ("danke an die nette Mitarbeiterin") does not
    /// hand over, nor does an urgency word in such a question ("wird das sofort verschickt?"):
    /// "Wo ist mein Paket? Dringend!" still does, and fraud and complaint words always do.
    pub fn handoff(&self, text: &str) -> Option<HandoffReason> {
        let named = without_names(text);
        let unnamed = named == text;
        let parsed = Parsed::of(named);
        let words = parsed.words(&self.words);
        let reason = self.handoff_word_in(&words)?;
        let overrulable = match reason {
            HandoffReason::Request => true,
            // Asked or not is read in the text as written, names and all.
            HandoffReason::Urgent if unnamed => self.urgency_only_asked(&words),
            HandoffReason::Urgent => {
                let written = Parsed::of(text.into());
                self.urgency_only_asked(&written.words(&self.words))
            }
            _ => false,
        };
        // The model's likeliest label, "none" included: "sucht ihr noch Mitarbeiter im Lager"
        // asks for a job, not for a person.
        if overrulable
            && let Some(top) = self.model.read(text).top
            && top.score >= SURE_DESPITE_HANDOFF_WORD
            && !self.intent_hands_over(&top.intent)
            && (top.intent != NONE || reason == HandoffReason::Request)
        {
            return None;
        }
        Some(reason)
    }

    /// Whether entering `intent`'s flow hands the conversation over at once.
    pub fn intent_hands_over(&self, intent: &str) -> bool {
        self.intent_handoff_reason(intent).is_some()
    }

    /// The intent model's answer alone (no handoff words). A message the model reads as a
    /// whole as small talk, or is unsure about, is also read part by part (see
    /// [`BotConfig::by_part`]): in "Hallo, ich habe am Montag bestellt und noch nichts bekommen.
    /// Wo ist mein Paket? Danke!" the greeting, the story and the thanks drown the question.
    pub fn classify(&self, text: &str) -> Understanding {
        let whole = self.classify_whole(text);
        let only_questions = match &whole {
            Understanding::Intent(m) if m.intent == THANKS => true,
            Understanding::Intent(m) if !OPENERS.contains(&m.intent.as_str()) => return whole,
            _ => false,
        };
        self.by_part(text, only_questions).unwrap_or(whole)
    }

    /// The most confident request among the parts (sentences and clauses) of a message of
    /// several: an intent the model is sure of in one part, neither small talk nor one that
    /// hands over (a part alone misses what the rest says: "danke, kein Rückruf nötig"). With
    /// `only_questions`, only a part that asks counts: "wo ist mein Paket? danke" asks where the
    /// parcel is, "Paket ist heute gekommen, danke!" thanks.
    fn by_part(&self, text: &str, only_questions: bool) -> Option<Understanding> {
        let parts: Vec<&str> = text
            .split_inclusive(PART_ENDS)
            .filter(|p| p.chars().any(char::is_alphanumeric))
            .collect();
        if parts.len() < 2 {
            return None;
        }
        parts
            .iter()
            .filter(|part| !only_questions || asks(&self.words, part))
            .filter_map(|part| self.model.read(part).top)
            .filter(|top| {
                top.intent != NONE
                    && !OPENERS.contains(&top.intent.as_str())
                    && top.intent != THANKS
                    && top.score >= self.file.limits.match_threshold
                    && !self.intent_hands_over(&top.intent)
            })
            .max_by(|a, b| a.score.total_cmp(&b.score))
            .map(Understanding::Intent)
    }

    /// The model's answer for the whole message. A handing-over intent the message's words do
    /// not back ([`BotConfig::backs_handoff`]) gives way to the model's answer among the other
    /// labels.
    fn classify_whole(&self, text: &str) -> Understanding {
        let reading = self.model.read(text);
        if let Some(top) = &reading.top
            && top.score >= self.file.limits.match_threshold
            && let Some(reason) = self.intent_handoff_reason(&top.intent)
            && !self.backs_handoff(reason, text, top.score)
        {
            let other = self.read_without(text, reason, reading.coverage);
            // Sure of something else: answer it; else ask back, the handoff one of the options
            // (a real report the words did not show costs the customer a tap, not a person).
            return match (&other.top, other.best.clone()) {
                (Some(o), _) if o.score >= self.file.limits.match_threshold => self.answer(other),
                (_, Some(best)) => Understanding::Unsure(top.clone(), best),
                _ => Understanding::Unknown,
            };
        }
        self.answer(reading)
    }

    /// The model's reading of `text` without the intents that hand over for `reason`, the
    /// others' probabilities scaled to sum to one again.
    fn read_without(&self, text: &str, reason: HandoffReason, coverage: f64) -> Reading {
        let kept: Vec<IntentMatch> = self
            .model
            .rank(text)
            .into_iter()
            .filter(|m| self.intent_handoff_reason(&m.intent) != Some(reason))
            .collect();
        let sum: f64 = kept.iter().map(|m| m.score).sum();
        let scaled = |m: &IntentMatch| IntentMatch {
            intent: m.intent.clone(),
            score: if sum > 0.0 { m.score / sum } else { 0.0 },
        };
        let mut intents = kept.iter().filter(|m| m.intent != NONE);
        Reading {
            top: kept.first().map(scaled),
            best: intents.next().map(scaled),
            second: intents.next().map(scaled),
            coverage,
        }
    }

    /// What a reading of the model means: an intent when it is confident, a clarifying
    /// question between two intents when it hesitates, else nothing the bot knows.
    fn answer(&self, reading: Reading) -> Understanding {
        let (Some(top), Some(best)) = (reading.top, reading.best) else {
            return Understanding::Unknown;
        };
        let threshold = if self.intent_hands_over(&top.intent) {
            self.handoff_threshold()
        } else {
            self.file.limits.match_threshold
        };
        if top.score >= threshold {
            return if top.intent == NONE {
                Understanding::OffTopic
            } else {
                Understanding::Intent(top)
            };
        }
        // Off-topic likeliest: two intents it barely resembles are no question worth asking.
        let off_topic = top.intent == NONE
            && best.score < f64::from(self.model.settings().none_ask_ratio) * top.score;
        match reading.second {
            Some(second)
                if best.score >= self.clarify_threshold()
                    && reading.coverage >= MIN_COVERAGE_TO_ASK
                    && !off_topic =>
            {
                Understanding::Unsure(best, second)
            }
            _ if off_topic => Understanding::OffTopic,
            _ => Understanding::Unknown,
        }
    }

    /// The handoff a message's words ask for, if any: fraud first (it goes to its own team).
    pub fn handoff_word(&self, text: &str) -> Option<HandoffReason> {
        self.handoff_word_in(&Parsed::new(text).words(&self.words))
    }

    /// [`BotConfig::handoff_word`] of a message read once.
    fn handoff_word_in(&self, words: &Words) -> Option<HandoffReason> {
        let clauses = &words.clauses;
        [
            HandoffReason::Fraud,
            HandoffReason::Urgent,
            HandoffReason::Complaint,
            HandoffReason::Request,
        ]
        .into_iter()
        .find(|reason| match reason {
            HandoffReason::Fraud => self.fraud_word(clauses),
            HandoffReason::Urgent => {
                self.urgency_demanded(words) && !self.urgency_only_timing(words)
            }
            HandoffReason::Complaint => self.complaint_word(words),
            _ => self.request_word(clauses, words.text.contains('?')),
        })
    }

    /// A fraud word, also opening a compound ("Betrugsversuch"), unless the customer only
    /// suspected fraud and says it was none ("dachte schon es wär Betrug, ist aber angekommen").
    fn fraud_word(&self, clauses: &[Vec<&str>]) -> bool {
        clauses.iter().enumerate().any(|(i, words)| {
            let compounds = words.iter().enumerate().filter_map(|(at, w)| {
                (self.fraud.opens_compound(w) && !negated(&self.words, words, at)).then_some(at)
            });
            self.fraud
                .positions(words, &self.model, &self.words, |_| true)
                .chain(compounds)
                .any(|at| !suspicion_denied(&self.words, clauses, i, at))
        })
    }

    /// Whether the message has fraud words and every one is a suspicion taken back.
    fn fraud_only_suspected(&self, clauses: &[Vec<&str>]) -> bool {
        let mut any = false;
        for (i, words) in clauses.iter().enumerate() {
            for at in self
                .fraud
                .positions(words, &self.model, &self.words, |_| true)
            {
                if !suspicion_denied(&self.words, clauses, i, at) {
                    return false;
                }
                any = true;
            }
        }
        any
    }

    /// An urgency word that asks for a person: a strong one (dringend, Notfall, urgent, asap)
    /// on its own, a weak one ([`WEAK_URGENCY`]: sofort, immediately) only in a sentence that
    /// demands help, an answer, contact or a person ("brauche sofort Hilfe", "bitte sofort
    /// zurückrufen", "answer immediately"); "kam sofort an" and "kann ich sofort stornieren"
    /// tell a time.
    fn urgency_demanded(&self, words: &Words) -> bool {
        words.sentences().any(|(sentence, clauses)| {
            let found = |weak: bool| {
                clauses.iter().any(|words| {
                    self.urgent
                        .found_where(words, &self.model, &self.words, |k| {
                            is_weak_urgency(&self.words, k) == weak
                        })
                })
            };
            found(false) || (found(true) && demands_action(&self.words, sentence, clauses))
        })
    }

    /// A complaint word, unless its sentence says the complaint is settled ("meine Beschwerde
    /// hat sich erledigt"), the message tells of an old one ("früher hatte ich mal eine
    /// Beschwerde, jetzt alles gut"), or the word is no threat (see
    /// [`BotConfig::complaint_meant`]).
    fn complaint_word(&self, words: &Words) -> bool {
        if past_complaint(&self.words, &words.clauses, &self.complaint) {
            return false;
        }
        words.sentences().any(|(_, clauses)| {
            clauses.iter().any(|words| self.complaint_meant(words))
                && !clauses
                    .iter()
                    .any(|words| has_word(&self.words, words, &self.words.settled))
        })
    }

    /// A complaint word in `words` (one clause) that is no description: not what the customer
    /// is ("bin selbst Anwalt"), not someone who said something ("mein Anwalt hat gesagt, ich
    /// soll nach der Rechnung fragen") and not a specialty ("Anwalt für Mietrecht").
    fn complaint_meant(&self, words: &[&str]) -> bool {
        self.complaint
            .positions(words, &self.model, &self.words, |_| true)
            .any(|at| {
                !describes_self(&self.words, words, at)
                    && !reported_speech(&self.words, words, at)
                    && !legal_specialty(&self.words, words, at)
            })
    }

    /// A request word, unless it names the customer's own person ("meine Modeberaterin
    /// meinte 38"), what the customer is ("bin ein Mensch, kein Bot"), another company's
    /// staff ("der DHL-Mitarbeiter") or qualifies a noun ("human error"). No request word
    /// counts in a letter's salutation ("Dear support team,"), in praise of someone ("danke an
    /// den netten Berater", "your agent Lisa was great"), in an idiom ("call me picky, but
    /// ..."), nor in a message about a job ("stellt ihr Mitarbeiter ein") or asked out of
    /// curiosity ("ist das ein echter Mensch? nur neugierig"): the model reads those. `asks`:
    /// the message has a question mark.
    fn request_word(&self, clauses: &[Vec<&str>], asks: bool) -> bool {
        let lex = &self.words;
        if about_a_job(lex, clauses) || out_of_curiosity(lex, clauses) {
            return false;
        }
        let person = |p: &[String]| matches!(p, [w] if lex.person_words.has(w.as_str()));
        // A person word, or a phrase ending in one ("support team", "real person").
        let someone = |p: &[String]| {
            person(p)
                || p.last()
                    .is_some_and(|w| matches!(w.as_str(), "team" | "person"))
        };
        let addressed = salutation(lex, clauses) || exclaimed(lex, clauses);
        clauses.iter().enumerate().any(|(i, words)| {
            if i == 0 && addressed {
                return false;
            }
            let mut found = self
                .request
                .meant(words, &self.model, lex, |_| true)
                .peekable();
            // "I'm a real person", "my husband is a real person": what someone is, no request.
            let described = if found.peek().is_none() {
                Vec::new()
            } else {
                self_descriptions(lex, &self.request, &self.model, words)
            };
            found.any(|(phrase, at)| {
                let end = at + phrase.len();
                !described.iter().any(|d| d.contains(&at))
                    && !(someone(phrase)
                        && (staff_deed(lex, words, end) || thanked(lex, words, at)))
                    && !self.idiom_but(clauses, i, phrase, end, asks)
                    && (!person(phrase)
                        || (!after_possessive(lex, words, at)
                            && !describes_self(lex, words, at)
                            && !third_party(lex, clauses, i, at)
                            && !reported_speech(lex, words, at)
                            && !words
                                .get(at + 1)
                                .is_some_and(|n| lex.human_as_adjective.has(n))))
            })
        })
    }

    /// Whether `words` (one clause) praise or thank someone a request word names ("your
    /// agent Lisa was great", "danke an den netten Berater").
    fn praises_someone(&self, words: &[&str]) -> bool {
        let lex = &self.words;
        self.request
            .meant(words, &self.model, lex, |_| true)
            .any(|(phrase, at)| {
                staff_deed(lex, words, at + phrase.len()) || thanked(lex, words, at)
            })
    }

    /// Whether the request phrase ending in "me"/"mich" before `end` in `clauses[i]` opens an
    /// idiom: one or two words, a contrast, then a question ("call me picky, but does it run
    /// small", "call me old-fashioned but can I pay by invoice"). Not when the words between
    /// make a request themselves ("call me back, but ...": "call back") or are politeness or
    /// urgency ("call me now, but ...").
    fn idiom_but(
        &self,
        clauses: &[Vec<&str>],
        i: usize,
        phrase: &[String],
        end: usize,
        asks: bool,
    ) -> bool {
        let lex = &self.words;
        if !phrase
            .last()
            .is_some_and(|w| matches!(w.as_str(), "me" | "mich"))
        {
            return false;
        }
        let rest = &clauses[i][end.min(clauses[i].len())..];
        let (between, after): (&[&str], &[&str]) =
            match rest.iter().position(|w| lex.contrasts.has(w)) {
                Some(k @ 1..=2) => (&rest[..k], &rest[k + 1..]),
                None if (1..=2).contains(&rest.len()) => match clauses.get(i + 1) {
                    Some(next) if next.first().is_some_and(|w| lex.contrasts.has(w)) => {
                        (rest, &next[1..])
                    }
                    _ => return false,
                },
                _ => return false,
            };
        let plain = between.iter().all(|w| {
            !lex.polite.has(w)
                && !lex.weak_urgency.has(w)
                && !lex.fillers.has(w)
                && !self.request.has_phrase(&[phrase[0].as_str(), *w])
        });
        plain && (asks || after.first().is_some_and(|w| lex.question_starts.has(w)))
    }

    /// The handoff reason entering `intent`'s flow hands over for, if it does at once.
    pub fn intent_handoff_reason(&self, intent: &str) -> Option<HandoffReason> {
        match self
            .intent(intent)
            .and_then(|i| self.file.flows.get(&i.flow))
            .and_then(|f| f.steps.get(&f.start))
        {
            Some(StepSpec::Handoff { reason }) => Some(*reason),
            _ => None,
        }
    }

    /// Whether the words of `text` back the model's reading that it asks for `reason`'s
    /// handoff: the model learns topics ("Konto", "E-Mail", "Karte" are fraud words to it), so a
    /// handoff from the model alone needs the customer not to decline it ("no need to talk to
    /// someone", "no complaints"), and for fraud something unknown, unauthorised, stolen or
    /// misused, for a complaint a negative word, for urgency a demand or a sign of haste, for a
    /// person a word of contact or someone unless the model is `sure` (its probability) of it.
    pub fn backs_handoff(&self, reason: HandoffReason, text: &str, sure: f64) -> bool {
        let lex = &self.words;
        let parsed = Parsed::new(text);
        let words = parsed.words(lex);
        let (text, clauses) = (words.text, &words.clauses);
        let list = match reason {
            HandoffReason::Fraud => &self.fraud,
            HandoffReason::Urgent => &self.urgent,
            HandoffReason::Complaint => &self.complaint,
            _ => &self.request,
        };
        if clauses
            .iter()
            .any(|w| list.negated_in(w, &self.model, &self.words))
        {
            return false;
        }
        let sure_enough = sure >= SURE_WITHOUT_SIGNS;
        match reason {
            // Fraud words are the model's topic words too ("Konto", "E-Mail", "Passwort"): a
            // question needs a sign even when the model is sure.
            HandoffReason::Fraud => {
                // "dachte erst es wäre Betrug, war aber doch von euch": the fraud word is a
                // suspicion taken back, so it is no sign either.
                if self.fraud_only_suspected(clauses) {
                    return false;
                }
                self.fraud_word(clauses)
                    || clauses.iter().any(|w| {
                        has_word(&self.words, w, &self.words.fraud_signs)
                            || denies_deed(&self.words, w)
                            || without_the_customer(&self.words, w)
                    })
                    || (sure >= SURE_OF_FRAUD && !asks_a_question(&self.words, text, clauses))
            }
            HandoffReason::Urgent => {
                // "es eilt überhaupt nicht", "no rush at all": haste taken back.
                if clauses
                    .iter()
                    .any(|w| sign_taken_back(lex, w, &lex.urgent_signs))
                {
                    return false;
                }
                let signed = self.urgency_demanded(&words)
                    || clauses.iter().any(|w| {
                        has_word(lex, w, &lex.urgent_signs) || has_phrase(w, &lex.urgent_phrases)
                    });
                // "kam sofort an, super!", "arrived so quickly, great": speed praised, not asked
                // for; the model's reading alone is no urgency then.
                signed || (sure_enough && !praised(lex, clauses))
            }
            HandoffReason::Complaint => {
                if past_complaint(lex, clauses, &self.complaint) {
                    return false;
                }
                let negative = clauses
                    .iter()
                    .any(|w| has_word(&self.words, w, &self.words.negative));
                // "never had a reason to complain", "Frechheit wie günstig": the only negative
                // words are negated or praise.
                let denied = !negative
                    && clauses.iter().any(|w| {
                        w.iter().enumerate().any(|(at, x)| {
                            starts_with_any(x, &self.words.negative)
                                && (w[..at].iter().any(|b| self.words.negations.has(b))
                                    || praise_follows(&self.words, w, at + 1))
                        })
                    });
                let sure_enough = if asks_a_question(lex, text, clauses) {
                    sure >= SURE_OF_ASKED_COMPLAINT
                } else {
                    sure_enough
                };
                // "came immediately, excellent service": praise and nothing negative.
                let praise_only = !negative && praised(lex, clauses);
                !denied
                    && !praise_only
                    && !clauses
                        .iter()
                        .any(|w| has_word(&self.words, w, &self.words.settled))
                    && (sure_enough
                        || negative
                        || clauses.iter().any(|w| {
                            self.complaint_meant(w)
                                || negated_praise(&self.words, w)
                                || complaint_phrase(&self.words, w)
                        }))
            }
            _ => {
                if about_a_job(lex, clauses) || out_of_curiosity(lex, clauses) {
                    return false;
                }
                // "Dear customer service, ...": the address is no sign, nor is praise of staff
                // ("der Berater hatte echt Geduld").
                let addressed = salutation(lex, clauses) || exclaimed(lex, clauses);
                let told = |w: &[&str]| self.praises_someone(w);
                // What the customer says they are ("ich bin ein Mensch, kein Bot", "my husband
                // is a real person"): its words are no sign, but a wish for contact is ("ich bin
                // telefonisch erreichbar").
                let descriptions: Vec<_> = clauses
                    .iter()
                    .map(|w| self_descriptions(lex, &self.request, &self.model, w))
                    .collect();
                let described = |i: usize, at: usize| -> bool {
                    descriptions[i].iter().any(|d| d.contains(&at))
                };
                let read = || {
                    clauses
                        .iter()
                        .enumerate()
                        .skip(usize::from(addressed))
                        .filter(|(_, w)| !told(w))
                };
                // Negation before a sign is no denial here: "kann ich nicht mit jemandem
                // sprechen?" asks; a declined request word was caught above. A sign taken back
                // after it is one ("ruf mich nicht an", "bitte ruft nicht an").
                let signs = |taken_back: bool| {
                    read().any(|(i, w)| {
                        w.iter().enumerate().any(|(at, x)| {
                            (starts_with_any(x, &lex.request_signs)
                                || lex
                                    .request_signs
                                    .iter()
                                    .any(|s| s.len() >= 8 && x.contains(s)))
                                && !english_word_with_german_ending(x)
                                && (!described(i, at) || starts_with_any(x, &lex.contact_signs))
                                && (negation_follows(lex, w, at)
                                    || (!w.first().is_some_and(|f| lex.question_starts.has(f))
                                        && sign_negated(lex, w, at)))
                                    == taken_back
                        })
                    })
                };
                let word = read().any(|(i, w)| {
                    list.positions(w, &self.model, &self.words, |_| true)
                        .any(|at| !described(i, at))
                });
                if !word && signs(true) && !signs(false) {
                    return false;
                }
                // A customer who only says what they are ("ich bin Rentner und kenn mich nicht
                // aus") asks for no one, however sure the model is.
                if !word && !signs(false) && descriptions.iter().any(|d| !d.is_empty()) {
                    return false;
                }
                sure_enough || word || signs(false)
            }
        }
    }

    /// Whether every sentence with an urgency word (and there is one) passes `test`, given
    /// whether it ends with a question mark, starts like a question, and has only
    /// [`TIMING_WORDS`] for urgency words next to a delivery word ([`DELIVERY_WORDS`]).
    fn every_urgency(&self, words: &Words, test: impl Fn(bool, bool, bool) -> bool) -> bool {
        let mut any = false;
        for (sentence, clauses) in words.sentences() {
            let found = |keep: &dyn Fn(&[String]) -> bool| {
                clauses.iter().any(|words| {
                    self.urgent
                        .found_where(words, &self.model, &self.words, keep)
                })
            };
            if !found(&|_| true) {
                continue;
            }
            any = true;
            let asked = sentence.trim_end().ends_with('?');
            let starts_as_question = clauses
                .iter()
                .flatten()
                .next()
                .is_some_and(|w| self.words.question_starts.has(w));
            let timing_only =
                !found(&|k| !(k.len() == 1 && self.words.timing_words.has(k[0].as_str())))
                    && clauses
                        .iter()
                        .flatten()
                        .any(|w| self.words.delivery_words.begins(w));
            if !test(asked, starts_as_question, timing_only) {
                return false;
            }
        }
        any
    }

    /// Urgency words only in questions ("wird das sofort verschickt?"): the model may overrule.
    fn urgency_only_asked(&self, words: &Words) -> bool {
        self.every_urgency(words, |asked, _, _| asked)
    }

    /// Urgency words only as the delivery timing a question asks about ("ist der Artikel
    /// sofort lieferbar", "liefert ihr sofort nach der Bestellung"): no urgency at all.
    fn urgency_only_timing(&self, words: &Words) -> bool {
        self.every_urgency(words, |asked, starts, timing| timing && (asked || starts))
    }

    /// The probability at which the bot enters an intent that hands over at once.
    pub fn handoff_threshold(&self) -> f64 {
        self.file
            .limits
            .handoff_threshold
            .unwrap_or(DEFAULT_HANDOFF_THRESHOLD)
            .max(self.file.limits.match_threshold)
    }

    pub fn clarify_threshold(&self) -> f64 {
        self.file
            .limits
            .clarify_threshold
            .unwrap_or(DEFAULT_CLARIFY_THRESHOLD)
    }
}

/// Whether the request sign at `at` is negated, directly or through the sign before it: the
/// negation reaches along a run of signs and small words ("no need to speak with anyone",
/// "nicht mit jemandem telefonieren").
fn sign_negated(lex: &Lexicon, words: &[&str], at: usize) -> bool {
    let sign = |x: &str| starts_with_any(x, &lex.request_signs);
    negated(lex, words, at)
        || words[..at]
            .iter()
            .enumerate()
            .rev()
            .take_while(|(_, x)| lex.negation_gap.has(x) || sign(x))
            .any(|(p, x)| sign(x) && negated(lex, words, p))
}
