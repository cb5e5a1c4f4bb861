use super::*;

impl MemoryStore {
    pub(super) async fn save_profile_name(
        &self,
        wa_id: &WaId,
        name: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let before = state.customers.get(wa_id).cloned();
        // Like DynamoDB's condition: an older name never replaces a newer one.
        if before.as_ref().is_some_and(|c| c.updated_at > at) {
            return Ok(());
        }
        let mut after = before
            .clone()
            .unwrap_or_else(|| Customer::new(wa_id.clone(), at));
        after.updated_at = at;
        if after.profile_name.as_deref() != Some(name) {
            after.profile_name = Some(name.to_owned());
            after.version += 1;
        }
        reindex_name(&mut state, before.as_ref(), &after);
        state.customers.insert(wa_id.clone(), after);
        Ok(())
    }

    pub(super) async fn customer(&self, wa_id: &WaId) -> Result<Option<Customer>, StoreError> {
        Ok(self.begin()?.customers.get(wa_id).cloned())
    }

    pub(super) async fn update_customer(
        &self,
        read: Option<&Customer>,
        customer: &Customer,
    ) -> Result<bool, StoreError> {
        let mut state = self.begin()?;
        let current = state.customers.get(&customer.wa_id);
        let unchanged = match (read, current) {
            (None, None) => true,
            (Some(r), Some(c)) => r.version == c.version,
            _ => false,
        };
        if !unchanged || self.lost_race() {
            return Ok(false);
        }
        let before = current.cloned();
        let mut after = customer.clone();
        // The store keeps what it owns: the WhatsApp name and the ticket times.
        if let Some(b) = &before {
            after.profile_name = b.profile_name.clone();
            after.updated_at = b.updated_at;
            after.last_ticket_at = b.last_ticket_at;
        }
        reindex_name(&mut state, before.as_ref(), &after);
        state.customers.insert(customer.wa_id.clone(), after);
        Ok(true)
    }

    pub(super) async fn search(
        &self,
        key: &SearchKey,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let Some((pk, prefix)) = key.range() else {
            return Ok(Vec::new());
        };
        let state = self.begin()?;
        let from = IndexKey {
            pk: pk.clone(),
            sk: prefix.clone(),
        };
        Ok(state
            .index
            .range(from..)
            .take_while(|(k, _)| k.pk == pk && k.sk.starts_with(&prefix))
            .take(limit as usize)
            .map(|(_, hit)| hit.clone())
            .collect())
    }

    pub(super) async fn erase_customer(&self, wa_id: &WaId) -> Result<usize, StoreError> {
        let mut state = self.begin()?;
        let mut count = usize::from(state.index.remove(&search::phone_item(wa_id)).is_some());
        if let Some(customer) = state.customers.remove(wa_id) {
            count += 1;
            for word in customer.search_words() {
                count += usize::from(
                    state
                        .index
                        .remove(&search::name_item(&word, wa_id))
                        .is_some(),
                );
            }
        }
        Ok(count + usize::from(state.consents.remove(wa_id).is_some()))
    }

    pub(super) async fn consent(
        &self,
        wa_id: &WaId,
    ) -> Result<Option<crate::domain::consent::Consent>, StoreError> {
        Ok(self.begin()?.consents.get(wa_id).cloned())
    }

    pub(super) async fn set_consent(
        &self,
        wa_id: &WaId,
        consent: &crate::domain::consent::Consent,
    ) -> Result<(), StoreError> {
        let mut state = self.begin()?;
        let newer = state.consents.get(wa_id).is_some_and(|c| c.at > consent.at);
        if !newer {
            state.consents.insert(wa_id.clone(), consent.clone());
        }
        Ok(())
    }
}

/// Moves the customer's name items from the words of `before` to those of `after`.
fn reindex_name(state: &mut State, before: Option<&Customer>, after: &Customer) {
    let old = before.map(Customer::search_words).unwrap_or_default();
    let new = after.search_words();
    for word in old.iter().filter(|w| !new.contains(w)) {
        state.index.remove(&search::name_item(word, &after.wa_id));
    }
    for word in &new {
        state.index.insert(
            search::name_item(word, &after.wa_id),
            SearchHit::Customer(after.wa_id.clone()),
        );
    }
}
