//! The bot with its one outside call: the engine's decision (pure, `domain::bot`), and the
//! order lookup it asks for (the order port).

use std::sync::Arc;

use jiff::Timestamp;

use crate::domain::bot::{BotConfig, BotState, Engine, Inbound, Turn};
use crate::domain::ids::WaId;
use crate::platform::live_config::LiveConfig;
use crate::ports::orders::{OrderLookup, OrderQuery, look_up};

#[derive(Clone)]
pub struct Bot {
    config: Arc<BotConfig>,
    /// The published configuration in the table, checked at most every interval: when set,
    /// it replaces `config` (the start-up file) as soon as something is published.
    live: Option<Arc<LiveConfig<BotConfig>>>,
    orders: Arc<dyn OrderLookup>,
}

impl Bot {
    pub fn new(config: Arc<BotConfig>, orders: Arc<dyn OrderLookup>) -> Self {
        Self {
            config,
            live: None,
            orders,
        }
    }

    /// Follows the published bot configuration (admin area): a publish is live within the
    /// reader's interval, without a restart.
    pub fn live(live: Arc<LiveConfig<BotConfig>>, orders: Arc<dyn OrderLookup>) -> Self {
        Self {
            config: Arc::new(BotConfig::default_shop()),
            live: Some(live),
            orders,
        }
    }

    /// The configuration to answer with now.
    pub async fn current(&self) -> Arc<BotConfig> {
        match &self.live {
            Some(live) => live.get().await,
            None => self.config.clone(),
        }
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
        let config = self.current().await;
        let engine = Engine::new(&config);
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
