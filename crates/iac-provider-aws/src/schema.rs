//! The provider's schema: the `provider "aws"` block, and every resource
//! and data source from their models, with Terraform's names and attributes
//! so configurations port.

use iac_core::schema::{AttrType, Attribute, Block, NestedBlock, Nesting, ProviderSchema};

use crate::settings::{SERVICES, SERVICE_ALIASES};

use AttrType::{Bool, Number, String as Str};

/// A block written at most once (`endpoints { }`), as Terraform's providers
/// declare them: a list of at most one.
fn one(block: Block) -> NestedBlock {
    NestedBlock { nesting: Nesting::List, block, min_items: 0, max_items: Some(1), force_new: false }
}

pub fn provider_block() -> Block {
    let mut endpoints = Block::default();
    for s in SERVICES.iter().chain(SERVICE_ALIASES.iter().map(|(a, _)| a)) {
        endpoints = endpoints.attr(s, Attribute::optional(Str));
    }
    Block::default()
        .attr("region", Attribute::optional(Str).describe("or AWS_REGION / AWS_DEFAULT_REGION, or the profile's"))
        .attr("profile", Attribute::optional(Str).describe("a profile of the shared config and credentials files"))
        .attr("access_key", Attribute::optional(Str).sensitive())
        .attr("secret_key", Attribute::optional(Str).sensitive())
        .attr("token", Attribute::optional(Str).sensitive())
        .attr("max_retries", Attribute::optional(Number).describe("retries per call in the adaptive retry mode (default 24)"))
        .attr("s3_use_path_style", Attribute::optional(Bool))
        .attr("poll_interval_ms", Attribute::optional(Number).describe("how often waiters poll (default 10000)"))
        .attr("skip_credentials_validation", Attribute::optional(Bool).describe("accepted for Terraform's sake: iac never validates credentials up front"))
        .attr("skip_requesting_account_id", Attribute::optional(Bool).describe("accepted: iac asks for the account only for allowed_account_ids"))
        .attr("skip_metadata_api_check", Attribute::optional(Str).describe("accepted: the SDK's chain decides whether to ask the instance metadata service"))
        .attr("skip_region_validation", Attribute::optional(Bool).describe("accepted: regions are not validated against a list"))
        .attr("allowed_account_ids", Attribute::optional(AttrType::Set(Box::new(Str))).describe("refuse to run against any other account"))
        .attr("forbidden_account_ids", Attribute::optional(AttrType::Set(Box::new(Str))).describe("refuse to run against these accounts"))
        .block("endpoints", one(endpoints))
        .block(
            "ignore_tags",
            one(Block::default()
                .attr("keys", Attribute::optional(AttrType::Set(Box::new(Str))))
                .attr("key_prefixes", Attribute::optional(AttrType::Set(Box::new(Str))))),
        )
        .block(
            "assume_role_with_web_identity",
            one(Block::default()
                .attr("role_arn", Attribute::optional(Str))
                .attr("session_name", Attribute::optional(Str))
                .attr("web_identity_token", Attribute::optional(Str).sensitive())
                .attr("web_identity_token_file", Attribute::optional(Str))
                .attr("duration", Attribute::optional(Str))
                .attr("policy", Attribute::optional(Str))
                .attr("policy_arns", Attribute::optional(AttrType::Set(Box::new(Str))))),
        )
        .block("default_tags", one(Block::default().attr("tags", Attribute::optional(AttrType::Map(Box::new(Str))))))
        .block(
            "assume_role",
            one(Block::default()
                .attr("role_arn", Attribute::required(Str))
                .attr("session_name", Attribute::optional(Str))
                .attr("external_id", Attribute::optional(Str))),
        )
}

/// The whole schema (the factory builds it once; this builds it anew).
pub fn provider_schema() -> ProviderSchema {
    crate::resources::types().schema(provider_block())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_schema_with_an_id() {
        let s = provider_schema();
        assert_eq!((s.resources.len(), s.data_sources.len()), (42, 17));
        for (t, r) in &s.resources {
            assert!(r.block.attributes.get("id").is_some_and(|a| a.computed), "{t}: id must be computed");
        }
    }

    /// The schema is what configurations and states are written against:
    /// every type, attribute, flag and description, pinned.
    #[test]
    fn the_schema_matches_its_snapshot() {
        let have = serde_json::to_value(provider_schema()).unwrap();
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/schema.json");
            std::fs::write(path, serde_json::to_string_pretty(&have).unwrap() + "\n").unwrap();
            return;
        }
        let want: serde_json::Value = serde_json::from_str(include_str!("../tests/snapshots/schema.json")).unwrap();
        assert!(
            have == want,
            "the schema changed; if intended, regenerate tests/snapshots/schema.json (UPDATE_SNAPSHOTS=1):\n{}",
            serde_json::to_string_pretty(&have).unwrap()
        );
    }
}
