//! Provider configurations of a run: where each is declared
//! ([`ProviderKey`]), which factory serves which name ([`Registry`]), and the
//! configured instances ([`Instances`]), made lazily once their
//! configuration is known (a provider configured from a cluster created in
//! the same run).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use iac_core::address::{ConfigModulePath, LocalProviderConfig, ProviderAddr};
use iac_core::provider::{Provider, ProviderFactory};
use tokio::sync::Semaphore;

/// Where a provider configuration is declared (None body: an implied,
/// empty configuration at the root).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProviderKey {
    pub module: ConfigModulePath,
    pub name: String,
    pub alias: Option<String>,
}

impl ProviderKey {
    /// The configuration as its module names it (`aws.west`).
    pub fn local(&self) -> LocalProviderConfig {
        LocalProviderConfig { name: self.name.clone(), alias: self.alias.clone() }
    }
    /// The configuration as state records it.
    pub fn addr(&self) -> ProviderAddr {
        ProviderAddr { module: self.module.to_string(), name: self.name.clone(), alias: self.alias.clone() }
    }
    /// The configuration a state's provider address names (a module path
    /// that does not parse is the root's).
    pub fn of(p: &ProviderAddr) -> ProviderKey {
        ProviderKey { module: p.module.parse().unwrap_or_default(), name: p.name.clone(), alias: p.alias.clone() }
    }
}

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
