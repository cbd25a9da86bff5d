//! Schema building blocks shared by the resources.

use std::collections::BTreeMap;

use iac_core::schema::{AttrType, Attribute, Block, NestedBlock, Nesting};

pub use AttrType::{Bool, Number, String as Str};

pub fn list_of(t: AttrType) -> AttrType {
    AttrType::List(Box::new(t))
}

pub fn set_of(t: AttrType) -> AttrType {
    AttrType::Set(Box::new(t))
}

pub fn map_of(t: AttrType) -> AttrType {
    AttrType::Map(Box::new(t))
}

pub fn obj(fields: &[(&str, AttrType)]) -> AttrType {
    AttrType::Object(fields.iter().map(|(k, t)| (k.to_string(), t.clone())).collect::<BTreeMap<_, _>>())
}

/// A block written at most once (`vpc_config { }`), as Terraform's providers
/// declare them: a list of at most one.
pub fn one(block: Block) -> NestedBlock {
    NestedBlock { nesting: Nesting::List, block, min_items: 0, max_items: Some(1), force_new: false }
}

pub fn one_required(block: Block) -> NestedBlock {
    NestedBlock { min_items: 1, ..one(block) }
}

pub fn many(block: Block) -> NestedBlock {
    NestedBlock { nesting: Nesting::List, block, min_items: 0, max_items: None, force_new: false }
}

pub fn set_block(block: Block) -> NestedBlock {
    NestedBlock { nesting: Nesting::Set, block, min_items: 0, max_items: None, force_new: false }
}

/// `tags` (configured) and `tags_all` (with the provider's default tags).
pub fn tagged(b: Block) -> Block {
    b.attr("tags", Attribute::optional(map_of(Str))).attr("tags_all", Attribute::computed(map_of(Str)).describe("tags with the provider's default_tags"))
}

/// The `timeouts { create, update, delete }` block.
pub fn timeouts(b: Block, ops: &[&str]) -> Block {
    let mut t = Block::default();
    for op in ops {
        t = t.attr(op, Attribute::optional(Str).describe("a duration such as 30m or 1h"));
    }
    b.block("timeouts", NestedBlock { nesting: Nesting::Single, block: t, min_items: 0, max_items: Some(1), force_new: false })
}

pub fn id() -> Block {
    Block::default().attr("id", Attribute::computed(Str))
}
