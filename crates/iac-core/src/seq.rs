//! The elements of a list, set or tuple, with the kind Terraform's type
//! system gives the sequence.
//!
//! Values built from literals are tuples; conversions (`tolist`, `toset`,
//! type constraints) and functions Terraform types as list or set results
//! give the kind. The kind matters to the language only: `==` (a list is
//! never equal to a tuple), `for` over a set (the key is the element) and
//! the types `output -json` writes. Everywhere else (state, plans, diffs,
//! providers) a sequence is its elements: [`PartialEq`] ignores the kind,
//! and serialization writes the elements alone, so a saved plan (read back
//! as tuples) loses kinds, as state does.

use std::ops::{Deref, DerefMut};

use crate::value::Value;

/// Which of Terraform's sequence types a [`Seq`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SeqKind {
    /// Elements of any types each (a `[...]` literal).
    #[default]
    Tuple,
    /// Elements of one type.
    List,
    /// Elements of one type, unique, in set order.
    Set,
}

/// A sequence's elements and kind. It dereferences to its `Vec`, so it
/// reads like one.
#[derive(Clone, Debug, Default)]
pub struct Seq {
    kind: SeqKind,
    items: Vec<Value>,
}

impl Seq {
    pub fn new(kind: SeqKind, items: Vec<Value>) -> Seq {
        Seq { kind, items }
    }

    pub fn kind(&self) -> SeqKind {
        self.kind
    }

    /// The same elements as another kind.
    pub fn with_kind(self, kind: SeqKind) -> Seq {
        Seq { kind, ..self }
    }

    pub fn into_vec(self) -> Vec<Value> {
        self.items
    }

    /// Each element replaced through `f`, the kind kept.
    pub fn map_items(self, mut f: impl FnMut(Value) -> Value) -> Seq {
        self.map_items_indexed(|_, v| f(v))
    }

    /// Each element replaced through `f` (given its index), the kind kept.
    pub fn map_items_indexed(self, mut f: impl FnMut(usize, Value) -> Value) -> Seq {
        Seq { kind: self.kind, items: self.items.into_iter().enumerate().map(|(i, v)| f(i, v)).collect() }
    }
}

/// Elements only: state and plans carry no kinds, so values read back from
/// them must equal the values written.
impl PartialEq for Seq {
    fn eq(&self, other: &Seq) -> bool {
        self.items == other.items
    }
}

impl Deref for Seq {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.items
    }
}

impl DerefMut for Seq {
    fn deref_mut(&mut self) -> &mut Vec<Value> {
        &mut self.items
    }
}

/// A tuple of the elements.
impl From<Vec<Value>> for Seq {
    fn from(items: Vec<Value>) -> Seq {
        Seq { kind: SeqKind::Tuple, items }
    }
}

impl From<Seq> for Vec<Value> {
    fn from(s: Seq) -> Vec<Value> {
        s.items
    }
}

/// A tuple of the elements.
impl FromIterator<Value> for Seq {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Seq {
        Seq { kind: SeqKind::Tuple, items: iter.into_iter().collect() }
    }
}

impl Extend<Value> for Seq {
    fn extend<I: IntoIterator<Item = Value>>(&mut self, iter: I) {
        self.items.extend(iter)
    }
}

impl IntoIterator for Seq {
    type Item = Value;
    type IntoIter = std::vec::IntoIter<Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Seq {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<'a> IntoIterator for &'a mut Seq {
    type Item = &'a mut Value;
    type IntoIter = std::slice::IterMut<'a, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter_mut()
    }
}

/// Serialized as the elements alone (the saved-plan format before kinds).
impl serde::Serialize for Seq {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Seq {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Seq, D::Error> {
        Ok(Seq::from(Vec::<Value>::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_survive_element_maps_and_are_ignored_by_value_equality() {
        let l = Seq::new(SeqKind::List, vec![Value::from(1i64)]);
        let doubled = l.clone().map_items(|v| Value::from(v.as_f64().unwrap_or(0.0) * 2.0));
        assert_eq!(doubled.kind(), SeqKind::List);
        let tuple = Value::tuple(vec![Value::from(1i64)]);
        assert_eq!(Value::List(l.clone()), tuple, "state and plans compare elements");
        assert!(!Value::List(l.clone()).typed_eq(&tuple), "the language's == sees list vs tuple");
        assert!(Value::List(l.clone()).typed_eq(&Value::list(vec![Value::from(1i64)])));
        let nested = |k| Value::map([("a", Value::List(Seq::new(k, vec![])))]);
        assert!(!nested(SeqKind::Set).typed_eq(&nested(SeqKind::List)), "at any depth");
    }
}
