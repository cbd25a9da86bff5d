//! Provider configurations of a run: which factory serves which name, and
//! the configured instances, made lazily once their configuration is known
//! (a provider configured from a cluster created in the same run).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use iac_core::provider::{Provider, ProviderFactory};
use tokio::sync::Semaphore;

use crate::graph::ProviderKey;

/// The providers the CLI registered, by name.
#[derive(Clone, Default)]
pub struct Registry {
    factories: BTreeMap<String, Arc<dyn ProviderFactory>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }
    pub fn register(&mut self, f: Arc<dyn ProviderFactory>) {
        self.factories.insert(f.name().to_string(), f);
    }
    pub fn get(&self, name: &str) -> Option<&Arc<dyn ProviderFactory>> {
        self.factories.get(name)
    }
    pub fn has(&self, name: &str) -> bool {
        self.factories.contains_key(name)
    }
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.factories.keys()
    }
}

#[derive(Clone)]
pub enum Slot {
    Ready {
        provider: Arc<dyn Provider>,
        limit: Option<Arc<Semaphore>>,
    },
    /// The configuration depends on values known only after apply.
    Deferred,
    Failed(String),
}

/// Configured provider instances of one run.
#[derive(Default)]
pub struct Instances {
    slots: Mutex<HashMap<ProviderKey, Slot>>,
}

impl Instances {
    pub fn set(&self, key: ProviderKey, slot: Slot) {
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).insert(key, slot);
    }
    pub fn get(&self, key: &ProviderKey) -> Option<Slot> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }
    /// The providers configured so far, by configuration.
    pub fn configured(&self) -> Vec<(ProviderKey, Arc<dyn Provider>)> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .iter()
            .filter_map(|(k, s)| match s {
                Slot::Ready { provider, .. } => Some((k.clone(), provider.clone())),
                _ => None,
            })
            .collect()
    }
    pub fn ready(provider: Arc<dyn Provider>) -> Slot {
        let limit = provider.max_concurrency().map(|n| Arc::new(Semaphore::new(n.max(1))));
        Slot::Ready { provider, limit }
    }
}
