//! The resource types and data sources, one module each (a typed model
//! plus its operations), and the create that never duplicates: after an
//! ambiguous failure (no answer, or a 5xx) it looks the object up by name
//! before trying again.

pub mod catalog;
pub mod cluster;
pub mod data;
pub mod database;
pub mod node_pool;
pub mod platform;
pub mod spaces;
pub mod timeouts;
pub mod vpc;

use std::future::Future;

use serde_json::Value as Json;

use crate::client::ApiError;
use crate::error::DoError;
use crate::settings::Waits;

/// Creates with `post`; after an ambiguous failure, adopts what `lookup`
/// finds, or tries again (bounded).
pub async fn create_or_adopt<P, PF, L, LF>(addr: &str, waits: &Waits, attempts: u32, mut post: P, mut lookup: L) -> Result<Json, DoError>
where
    P: FnMut() -> PF,
    PF: Future<Output = Result<Json, ApiError>>,
    L: FnMut() -> LF,
    LF: Future<Output = Result<Option<Json>, ApiError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match post().await {
            Ok(j) => return Ok(j),
            Err(e) if e.is_ambiguous() && tries <= attempts => {
                tracing::info!(addr, error = %e, "create may or may not have happened: looking for the object before trying again");
                // The lookups are idempotent GETs with their own retries.
                if let Some(found) = lookup().await.map_err(DoError::api(&addr))? {
                    tracing::info!(addr, "adopting the object the ambiguous create made");
                    return Ok(found);
                }
                tokio::time::sleep(waits.poll.min(std::time::Duration::from_secs(5))).await;
            }
            Err(e) => return Err(DoError::Api { addr: addr.to_string(), source: Box::new(e) }),
        }
    }
}
