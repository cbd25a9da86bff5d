//! Just enough DER to write and read keys, certificates and certificate
//! requests the way Go's `encoding/asn1` and `crypto/x509` do: writers for
//! each value kind, and a reader of tag-length-value items.

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;
pub const BOOLEAN: u8 = 0x01;
pub const UTF8_STRING: u8 = 0x0c;
pub const PRINTABLE_STRING: u8 = 0x13;
pub const T61_STRING: u8 = 0x14;
pub const IA5_STRING: u8 = 0x16;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const NUMERIC_STRING: u8 = 0x12;
pub const BMP_STRING: u8 = 0x1e;

/// A context-specific tag: `[n]`, constructed (EXPLICIT or a structure)
/// or primitive (IMPLICIT on a primitive type).
pub const fn ctx(n: u8, constructed: bool) -> u8 {
    0x80 | if constructed { 0x20 } else { 0 } | n
}

/// One item: tag, length, content.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes: Vec<u8> = n.to_be_bytes().iter().copied().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded items.
pub fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(SEQUENCE, &items.concat())
}

/// A SET OF already-encoded items, in DER order (sorted by encoding).
pub fn set_of(items: &[Vec<u8>]) -> Vec<u8> {
    let mut sorted = items.to_vec();
    sorted.sort();
    tlv(SET, &sorted.concat())
}

/// An INTEGER from an unsigned big-endian magnitude.
pub fn uint(magnitude: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = magnitude.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend(trimmed);
    tlv(INTEGER, &content)
}

/// An INTEGER from a small signed number.
pub fn int(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0) || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0)) {
        start += 1;
    }
    tlv(INTEGER, &bytes[start..])
}

/// An OBJECT IDENTIFIER from its arcs.
pub fn oid(arcs: &[u64]) -> Vec<u8> {
    let mut content = Vec::new();
    let mut base128 = |mut v: u64| {
        let mut chunk = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            chunk.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        chunk.reverse();
        content.extend(chunk);
    };
    base128(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        base128(a);
    }
    tlv(OID, &content)
}

/// A BIT STRING of whole bytes.
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    bit_string_unused(bytes, 0)
}

/// A BIT STRING whose last byte has `unused` padding bits.
pub fn bit_string_unused(bytes: &[u8], unused: u8) -> Vec<u8> {
    let mut content = vec![unused];
    content.extend_from_slice(bytes);
    tlv(BIT_STRING, &content)
}

pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, bytes)
}

pub fn null() -> Vec<u8> {
    vec![NULL, 0]
}

pub fn boolean(b: bool) -> Vec<u8> {
    tlv(BOOLEAN, &[if b { 0xff } else { 0 }])
}

/// `[n] EXPLICIT`: the item wrapped in a constructed context tag.
pub fn explicit(n: u8, inner: &[u8]) -> Vec<u8> {
    tlv(ctx(n, true), inner)
}

/// Whether Go's `encoding/asn1` writes a string as PrintableString (it
/// does unless a character is outside that set, `*` and `&` included).
pub fn is_printable(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b))
}

/// A string as Go writes one with no declared type: PrintableString when
/// it can be, else UTF8String.
pub fn go_string(s: &str) -> Vec<u8> {
    tlv(if is_printable(s) { PRINTABLE_STRING } else { UTF8_STRING }, s.as_bytes())
}

/// One parsed item.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
    /// The whole encoding, tag and length included.
    pub raw: &'a [u8],
}

impl<'a> Item<'a> {
    /// A reader over this item's content (for constructed items).
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.content)
    }

    /// The content of a BIT STRING with no padding bits.
    pub fn bits(&self) -> Option<&'a [u8]> {
        (self.tag == BIT_STRING && self.content.first() == Some(&0)).then(|| &self.content[1..])
    }

    /// The unsigned magnitude of a non-negative INTEGER, leading zeros dropped.
    pub fn uint(&self) -> Option<&'a [u8]> {
        if self.tag != INTEGER || self.content.first().is_none_or(|b| b & 0x80 != 0) {
            return None;
        }
        let zeros = self.content.iter().take_while(|b| **b == 0).count();
        Some(&self.content[zeros.min(self.content.len().saturating_sub(1))..])
    }

    /// A small INTEGER.
    pub fn int(&self) -> Option<i64> {
        if self.tag != INTEGER || self.content.is_empty() || self.content.len() > 8 {
            return None;
        }
        let mut v: i64 = if self.content[0] & 0x80 != 0 { -1 } else { 0 };
        for b in self.content {
            v = (v << 8) | i64::from(*b);
        }
        Some(v)
    }

    /// The arcs of an OBJECT IDENTIFIER.
    pub fn oid(&self) -> Option<Vec<u64>> {
        if self.tag != OID || self.content.is_empty() {
            return None;
        }
        let mut arcs = Vec::new();
        let mut v: u64 = 0;
        for (i, b) in self.content.iter().enumerate() {
            v = v.checked_mul(128)? | u64::from(b & 0x7f);
            if b & 0x80 == 0 {
                if arcs.is_empty() {
                    let first = (v / 40).min(2);
                    arcs.push(first);
                    arcs.push(v - first * 40);
                } else {
                    arcs.push(v);
                }
                v = 0;
            } else if i == self.content.len() - 1 {
                return None;
            }
        }
        Some(arcs)
    }
}

/// Reads items one after another.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next item's tag, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// The next item; None at the end or on malformed input.
    pub fn next(&mut self) -> Option<Item<'a>> {
        let (&tag, rest) = self.data.split_first()?;
        if tag & 0x1f == 0x1f {
            return None; // High tag numbers never occur in what is read here.
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            (rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize), &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        let header = self.data.len() - rest.len();
        let raw = &self.data[..header + len];
        let content = &rest[..len];
        self.data = &rest[len..];
        Some(Item { tag, content, raw })
    }

    /// The next item if it has `tag`.
    pub fn next_if(&mut self, tag: u8) -> Option<Item<'a>> {
        if self.peek_tag() == Some(tag) {
            self.next()
        } else {
            None
        }
    }

    /// The next item, which must have `tag`.
    pub fn expect(&mut self, tag: u8) -> Option<Item<'a>> {
        let item = self.next()?;
        (item.tag == tag).then_some(item)
    }
}

/// Parses one whole item (nothing may follow it).
pub fn parse(data: &[u8]) -> Option<Item<'_>> {
    let mut r = Reader::new(data);
    let item = r.next()?;
    r.is_empty().then_some(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_oids_round_trip() {
        assert_eq!(int(0), vec![2, 1, 0]);
        assert_eq!(int(128), vec![2, 2, 0, 128]);
        assert_eq!(int(-1), vec![2, 1, 0xff]);
        assert_eq!(uint(&[0, 0, 0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(uint(&[]), vec![2, 1, 0]);
        let o = oid(&[1, 2, 840, 113549, 1, 1, 11]);
        assert_eq!(o, vec![6, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]);
        assert_eq!(parse(&o).and_then(|i| i.oid()), Some(vec![1, 2, 840, 113549, 1, 1, 11]));
        let long = tlv(OCTET_STRING, &[7; 300]);
        assert_eq!(&long[..4], &[4, 0x82, 1, 44]);
        assert_eq!(parse(&long).map(|i| i.content.len()), Some(300));
        assert_eq!(parse(&int(-129)).and_then(|i| i.int()), Some(-129));
    }

    #[test]
    fn strings_choose_their_type_as_go() {
        assert_eq!(go_string("ACME Examples, Inc")[0], PRINTABLE_STRING);
        assert_eq!(go_string("a@b.com")[0], UTF8_STRING);
        assert_eq!(go_string("*.example.com")[0], UTF8_STRING);
        assert_eq!(go_string("Zürich")[0], UTF8_STRING);
    }
}
