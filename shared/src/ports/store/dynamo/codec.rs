use super::*;

pub(super) type Item = HashMap<String, AttributeValue>;

impl DynamoStore {
    /// The TTL of conversation data (tickets, messages, notes, conversations, profiles) that
    /// last changed at `from`.
    pub(super) fn expires_at(&self, from: Timestamp) -> AttributeValue {
        n(self.retention.data_until(from).as_second())
    }

    /// The TTL of proof (consent, audit) recorded at `from`.
    pub(super) fn proof_expires_at(&self, from: Timestamp) -> AttributeValue {
        n(self.retention.proof_until(from).as_second())
    }
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn ts(t: Timestamp) -> AttributeValue {
    s(sortable_time(t))
}

pub(super) fn ticket_pk(id: TicketId) -> String {
    format!("TICKET#{id}")
}

pub(super) fn conversation_pk(key: &ConversationKey) -> String {
    format!(
        "CONV#{}#{}",
        key.phone_number_id.as_str(),
        key.wa_id.as_str()
    )
}

pub(super) fn seen_pk(wamid: &Wamid) -> String {
    format!("WAMID#{}", wamid.as_str())
}

pub(super) fn customer_pk(wa_id: &WaId) -> String {
    format!("CUST#{}", wa_id.as_str())
}

pub(super) fn values<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Reads typed attributes, reporting a corrupt item by attribute name.
pub(super) struct Reader<'a>(pub(super) &'a Item);

impl Reader<'_> {
    pub(super) fn opt(&self, name: &str) -> Result<Option<&str>, StoreError> {
        match self.0.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v)),
            Some(_) => Err(StoreError::Corrupt(format!(
                "attribute {name} is not a string"
            ))),
        }
    }

    pub(super) fn str(&self, name: &str) -> Result<&str, StoreError> {
        self.opt(name)?
            .ok_or_else(|| StoreError::Corrupt(format!("attribute {name} is missing")))
    }

    pub(super) fn parse<T>(
        &self,
        name: &str,
        f: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, StoreError> {
        let raw = self.str(name)?;
        f(raw).ok_or_else(|| StoreError::Corrupt(format!("attribute {name} has an invalid value")))
    }

    pub(super) fn time(&self, name: &str) -> Result<Timestamp, StoreError> {
        self.parse(name, |v| v.parse().ok())
    }

    pub(super) fn num(&self, name: &str) -> Result<u64, StoreError> {
        match self.0.get(name) {
            Some(AttributeValue::N(v)) => v.parse().map_err(|_| {
                StoreError::Corrupt(format!("attribute {name} is not a whole number"))
            }),
            _ => Err(StoreError::Corrupt(format!(
                "attribute {name} is missing or not a number"
            ))),
        }
    }

    pub(super) fn opt_time(&self, name: &str) -> Result<Option<Timestamp>, StoreError> {
        self.opt(name)?.map(|_| self.time(name)).transpose()
    }

    pub(super) fn bool(&self, name: &str) -> bool {
        matches!(self.0.get(name), Some(AttributeValue::Bool(true)))
    }

    pub(super) fn owned(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.opt(name)?.map(str::to_owned))
    }
}
