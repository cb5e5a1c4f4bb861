//! The bot with its one outside call: the engine's decision (pure, `domain::bot`), and the
//! order lookup it asks for (the order port).

use std::sync::Arc;

use jiff::Timestamp;

use crate::domain::bot::{BotConfig, BotState, Engine, Inbound, Turn};
use crate::domain::ids::WaId;
use crate::ports::orders::{OrderLookup, OrderQuery, look_up};

#[derive(Clone)]
pub struct Bot {
    config: Arc<BotConfig>,
    orders: Arc<dyn OrderLookup>,
}

impl Bot {
    pub fn new(config: Arc<BotConfig>, orders: Arc<dyn OrderLookup>) -> Self {
        Self { config, orders }
    }

    pub fn config(&self) -> &BotConfig {
        &self.config
    }

    /// The bot's complete answer to `customer`'s message, order lookup included (the shop is
    /// told who asks, and reveals only the customer's own orders).
    pub async fn answer(
        &self,
        state: &BotState,
        input: &Inbound<'_>,
        customer: &WaId,
        now: Timestamp,
    ) -> Turn {
        let engine = Engine::new(&self.config);
        let turn = engine.respond(state, input, now);
        match turn.lookup.clone() {
            Some(request) => {
                let query = OrderQuery {
                    order_id: request.order_id,
                    customer: customer.clone(),
                    postcode: request.postcode,
                };
                let result = look_up(self.orders.as_ref(), &query).await;
                engine.after_lookup(turn, result)
            }
            None => turn,
        }
    }
}
