//! Measures how long `PluginFactory::load` takes for a plugin binary, cold
//! (process started, GetProviderSchema, cache written) and from the cache,
//! and how long configuring one provider process takes.
//!
//!     cargo run --release -p iac-provider-plugin --example schema_load_timing -- PLUGIN_BINARY

use std::time::Instant;

use iac_provider_plugin::{PluginFactory, PluginSpec};

#[tokio::main]
async fn main() {
    let binary = std::env::args().nth(1).expect("usage: schema_load_timing PLUGIN_BINARY");
    let cache = std::env::temp_dir().join(format!("iac-schema-timing-{}", std::process::id()));
    let spec =
        || PluginSpec { name: "p".into(), source: String::new(), version: String::new(), binary: binary.clone().into(), schema_cache_dir: Some(cache.clone()) };
    let t = Instant::now();
    let cold = PluginFactory::load(spec()).await.expect("cold load");
    println!("cold load:   {:?} (from cache: {})", t.elapsed(), cold.schema_from_cache());
    for _ in 0..3 {
        let t = Instant::now();
        let warm = PluginFactory::load(spec()).await.expect("cached load");
        println!("cached load: {:?} (from cache: {})", t.elapsed(), warm.schema_from_cache());
    }
    // Configuring one process (start, handshake, GetMetadata, validate,
    // configure), for the aws plugin with offline settings.
    let factory = PluginFactory::load(spec()).await.expect("cached load");
    let config = iac_core::value::Value::map([
        ("region", iac_core::value::Value::string("us-east-1")),
        ("access_key", iac_core::value::Value::string("test")),
        ("secret_key", iac_core::value::Value::string("test")),
        ("skip_credentials_validation", iac_core::value::Value::Bool(true)),
        ("skip_requesting_account_id", iac_core::value::Value::Bool(true)),
        ("skip_metadata_api_check", iac_core::value::Value::string("true")),
    ]);
    for _ in 0..2 {
        let t = Instant::now();
        match factory.start(iac_core::provider::ConfigureRequest { config: config.clone(), context: Default::default() }).await {
            Ok(p) => {
                println!("configure:   {:?}", t.elapsed());
                let t = Instant::now();
                p.shutdown().await;
                println!("shutdown:    {:?}", t.elapsed());
            }
            Err(e) => println!("configure failed (not an aws plugin?): {e}"),
        }
    }
    let size =
        std::fs::read_dir(&cache).unwrap().filter_map(|e| e.ok()).filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum::<u64>();
    println!("cache size:  {:.1} MB", size as f64 / 1e6);
    let _ = std::fs::remove_dir_all(&cache);
}
