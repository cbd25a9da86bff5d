//! `#[derive(Model)]` for iac's provider SDK (`iac-provider-sdk`): from one
//! struct, a resource type's schema block and its conversion to and from
//! attribute values, so an attribute's name, type and flags are written once.
//!
//! Each field is an attribute (`#[sdk(required)]`, `optional`, `computed`,
//! `sensitive`, `force_new`, `ephemeral`, `local`, `json`, `set`,
//! `default = EXPR`, `name = "..."`, `block_form`: an object-typed attribute
//! that may also be written as a nested block), a nested block (`#[sdk(block)]`, with
//! `set`, `force_new`, `min_items = N`, `max_items = N`), or another model
//! whose attributes and blocks are this one's (`#[sdk(flatten)]`: attributes
//! several types share, written once); the field's doc comment is the
//! attribute's description.
//!
//! Must not depend on any crate of the workspace: the generated code names
//! `::iac_provider_sdk` paths only.

#![deny(missing_docs)]

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Expr, Fields, Lit, Meta};

/// Derives `iac_provider_sdk::Model` (and `Field`, so the model can be an
/// object-typed attribute or a nested block of another model).
#[proc_macro_derive(Model, attributes(sdk))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(t) => t.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[derive(Default)]
struct FieldSpec {
    name: Option<String>,
    required: bool,
    optional: bool,
    computed: bool,
    sensitive: bool,
    force_new: bool,
    ephemeral: bool,
    local: bool,
    json: bool,
    set: bool,
    block_form: bool,
    block: bool,
    flatten: bool,
    default: Option<Expr>,
    min_items: Option<Expr>,
    max_items: Option<Expr>,
}

fn parse_spec(field: &syn::Field) -> syn::Result<FieldSpec> {
    let mut spec = FieldSpec::default();
    for attr in &field.attrs {
        if !attr.path().is_ident("sdk") {
            continue;
        }
        attr.parse_nested_meta(|m| {
            let flag = |f: &mut bool| {
                *f = true;
                Ok(())
            };
            let ident = m.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            match ident.as_str() {
                "required" => flag(&mut spec.required),
                "optional" => flag(&mut spec.optional),
                "computed" => flag(&mut spec.computed),
                "sensitive" => flag(&mut spec.sensitive),
                "force_new" => flag(&mut spec.force_new),
                "ephemeral" => flag(&mut spec.ephemeral),
                "local" => flag(&mut spec.local),
                "json" => flag(&mut spec.json),
                "set" => flag(&mut spec.set),
                "block_form" => flag(&mut spec.block_form),
                "block" => flag(&mut spec.block),
                "flatten" => flag(&mut spec.flatten),
                "name" => {
                    let lit: Lit = m.value()?.parse()?;
                    match lit {
                        Lit::Str(s) => {
                            spec.name = Some(s.value());
                            Ok(())
                        }
                        _ => Err(m.error("name must be a string")),
                    }
                }
                "default" => {
                    spec.default = Some(m.value()?.parse()?);
                    Ok(())
                }
                "min_items" => {
                    spec.min_items = Some(m.value()?.parse()?);
                    Ok(())
                }
                "max_items" => {
                    spec.max_items = Some(m.value()?.parse()?);
                    Ok(())
                }
                _ => Err(m.error("unknown sdk field option")),
            }
        })?;
    }
    let modes = [spec.required, spec.optional || spec.computed, spec.block, spec.flatten].iter().filter(|b| **b).count();
    if modes != 1 {
        return Err(syn::Error::new_spanned(field, "a field needs exactly one of `required`, `optional`/`computed`, `block` or `flatten`"));
    }
    if spec.flatten
        && (spec.name.is_some() || spec.sensitive || spec.force_new || spec.ephemeral || spec.local || spec.json || spec.set || spec.default.is_some())
    {
        return Err(syn::Error::new_spanned(field, "a flattened model takes no other options: its own fields carry them"));
    }
    if spec.block && (spec.sensitive || spec.json || spec.default.is_some() || spec.ephemeral) {
        return Err(syn::Error::new_spanned(field, "a nested block takes only `set`, `force_new`, `local`, `min_items`, `max_items`"));
    }
    if spec.block_form && !(spec.optional || spec.required) {
        return Err(syn::Error::new_spanned(field, "`block_form` is for an object-typed attribute the configuration sets (`optional` or `required`)"));
    }
    if spec.default.is_some() && !spec.optional {
        return Err(syn::Error::new_spanned(field, "`default` needs `optional` (and usually `computed`)"));
    }
    Ok(spec)
}

fn doc_of(field: &syn::Field) -> String {
    let mut lines = Vec::new();
    for attr in &field.attrs {
        if let Meta::NameValue(nv) = &attr.meta {
            if nv.path.is_ident("doc") {
                if let Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) = &nv.value {
                    lines.push(s.value().trim().to_string());
                }
            }
        }
    }
    lines.join(" ")
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let ident = &input.ident;
    let Data::Struct(data) = &input.data else { return Err(syn::Error::new_spanned(input, "Model derives only for structs")) };
    let Fields::Named(fields) = &data.fields else { return Err(syn::Error::new_spanned(input, "Model needs named fields")) };
    let sdk = quote!(::iac_provider_sdk);

    let mut schema_parts = Vec::new();
    let mut decode_parts = Vec::new();
    let mut encode_parts = Vec::new();
    let mut into_parts = Vec::new();
    let mut plan_parts = Vec::new();
    // The owned decode: flattened models first (by reference, before any
    // attribute is taken out), then each attribute moved out of the value;
    // locals named by position so no field name can shadow the value.
    let mut owned_flatten_parts = Vec::new();
    let mut owned_parts = Vec::new();
    let mut owned_fields = Vec::new();
    for (index, field) in fields.named.iter().enumerate() {
        let spec = parse_spec(field)?;
        let fident = field.ident.as_ref().expect("named field");
        let ty = &field.ty;
        let name = spec.name.clone().unwrap_or_else(|| fident.to_string().trim_start_matches("r#").to_string());
        let doc = doc_of(field);
        let local = quote::format_ident!("sdk_field_{}", index);
        owned_fields.push(quote! { #fident: #local });
        if spec.flatten {
            owned_flatten_parts.push(quote! { let #local = <#ty as #sdk::Model>::from_value(&sdk_value)?; });
            schema_parts.push(quote! {
                let inner = <#ty as #sdk::Model>::block();
                block.attributes.extend(inner.attributes);
                block.blocks.extend(inner.blocks);
            });
            decode_parts.push(quote! { #fident: <#ty as #sdk::Model>::from_value(v)?, });
            encode_parts.push(quote! {
                if let #sdk::Value::Map(inner) = <#ty as #sdk::Model>::to_value(&self.#fident) {
                    m.extend(inner);
                }
            });
            into_parts.push(quote! {
                if let #sdk::Value::Map(inner) = <#ty as #sdk::Model>::into_value(self.#fident) {
                    m.extend(inner);
                }
            });
            plan_parts.push(quote! { rules.extend(<#ty as #sdk::Model>::rules()); });
            continue;
        }
        if spec.block {
            let set = spec.set;
            let force_new = spec.force_new;
            let min = spec.min_items.as_ref().map(|e| quote!(#e)).unwrap_or(quote!(0));
            let max = spec.max_items.as_ref().map(|e| quote!(Some(#e))).unwrap_or(quote!(None));
            schema_parts.push(quote! {
                block.blocks.insert(#name.to_string(), #sdk::model::nested_block::<#ty>(#set, #force_new, #min, #max));
            });
            plan_parts.push(quote! { rules.block::<#ty>(#name, #set); });
        } else {
            let (required, optional, computed, sensitive, force_new, ephemeral, set, block_form) =
                (spec.required, spec.optional, spec.computed, spec.sensitive, spec.force_new, spec.ephemeral, spec.set, spec.block_form);
            schema_parts.push(quote! {
                block.attributes.insert(#name.to_string(), #sdk::model::attribute::<#ty>(#sdk::model::Flags {
                    required: #required, optional: #optional, computed: #computed, sensitive: #sensitive,
                    force_new: #force_new, ephemeral: #ephemeral, set: #set, block_form: #block_form, description: #doc,
                }));
            });
        }
        decode_parts.push(quote! {
            #fident: <#ty as #sdk::Field>::decode(m.get(#name).unwrap_or(&#sdk::Value::Null)).map_err(|e| e.within(#name))?,
        });
        owned_parts.push(quote! {
            let #local = <#ty as #sdk::Field>::decode_owned(#sdk::model::take_attribute(&mut sdk_value, #name)).map_err(|e| e.within(#name))?;
        });
        let set = spec.set;
        encode_parts.push(quote! {
            m.insert(#name.to_string(), #sdk::model::encode_field(<#ty as #sdk::Field>::encode(&self.#fident), #set));
        });
        into_parts.push(quote! {
            m.insert(#name.to_string(), #sdk::model::encode_field(<#ty as #sdk::Field>::into_encoded(self.#fident), #set));
        });
        if let Some(d) = &spec.default {
            plan_parts.push(quote! { rules.defaults.push((#name, #sdk::Value::from(#d))); });
        }
        if spec.local {
            plan_parts.push(quote! { rules.local.push(#name); });
        }
        if spec.json {
            plan_parts.push(quote! { rules.json.push(#name); });
        }
    }

    Ok(quote! {
        impl #sdk::Model for #ident {
            fn block() -> #sdk::schema::Block {
                let mut block = #sdk::schema::Block::default();
                #(#schema_parts)*
                block
            }
            fn rules() -> #sdk::model::Rules {
                let mut rules = #sdk::model::Rules::default();
                #(#plan_parts)*
                rules
            }
            fn from_value(v: &#sdk::Value) -> ::std::result::Result<Self, #sdk::DecodeError> {
                let v = v.unmarked();
                let empty = #sdk::ValueMap::new();
                let m = match v {
                    #sdk::Value::Map(m) => m,
                    #sdk::Value::Null | #sdk::Value::Unknown => &empty,
                    other => return Err(#sdk::DecodeError::new(format!("expected an object, got {}", other.type_name()))),
                };
                Ok(#ident { #(#decode_parts)* })
            }
            fn from_owned(v: #sdk::Value) -> ::std::result::Result<Self, #sdk::DecodeError> {
                #[allow(unused_mut, unused_variables)]
                let mut sdk_value = match v.unmark().0 {
                    #sdk::Value::Null | #sdk::Value::Unknown => #sdk::Value::Map(#sdk::ValueMap::new()),
                    m @ #sdk::Value::Map(_) => m,
                    other => return Err(#sdk::DecodeError::new(format!("expected an object, got {}", other.type_name()))),
                };
                #(#owned_flatten_parts)*
                #(#owned_parts)*
                Ok(#ident { #(#owned_fields),* })
            }
            fn to_value(&self) -> #sdk::Value {
                let mut m = #sdk::ValueMap::new();
                #(#encode_parts)*
                #sdk::Value::Map(m)
            }
            fn into_value(self) -> #sdk::Value {
                let mut m = #sdk::ValueMap::new();
                #(#into_parts)*
                #sdk::Value::Map(m)
            }
        }

        impl #sdk::Field for #ident {
            fn attr_type() -> #sdk::schema::AttrType {
                #sdk::model::object_type(&<#ident as #sdk::Model>::block())
            }
            fn decode(v: &#sdk::Value) -> ::std::result::Result<Self, #sdk::DecodeError> {
                <#ident as #sdk::Model>::from_value(v)
            }
            fn decode_owned(v: #sdk::Value) -> ::std::result::Result<Self, #sdk::DecodeError> {
                <#ident as #sdk::Model>::from_owned(v)
            }
            fn encode(&self) -> #sdk::Value {
                <#ident as #sdk::Model>::to_value(self)
            }
            fn into_encoded(self) -> #sdk::Value {
                <#ident as #sdk::Model>::into_value(self)
            }
        }
    })
}
