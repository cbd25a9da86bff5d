//! CRC-32 (IEEE 802.3, the zlib/PNG polynomial) used to detect torn or
//! damaged journal records and snapshots. Not a defence against tampering.

const POLY: u32 = 0xEDB8_8320;

const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    Crc32::new().update(bytes).finish()
}

/// A CRC-32 computed over several pieces, as if concatenated.
pub(crate) struct Crc32(u32);

impl Crc32 {
    pub(crate) fn new() -> Crc32 {
        Crc32(!0)
    }

    pub(crate) fn update(mut self, bytes: &[u8]) -> Crc32 {
        for &b in bytes {
            self.0 = TABLE[((self.0 ^ b as u32) & 0xff) as usize] ^ (self.0 >> 8);
        }
        self
    }

    pub(crate) fn finish(self) -> u32 {
        !self.0
    }
}

/// The checksum as it is written on disk: eight lowercase hex digits.
pub(crate) fn crc32_hex(bytes: &[u8]) -> String {
    format!("{:08x}", crc32(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_check_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32_hex(b"The quick brown fox jumps over the lazy dog"), "414fa339");
    }

    #[test]
    fn pieces_checksum_like_their_concatenation() {
        assert_eq!(Crc32::new().update(b"1234").update(b"").update(b"56789").finish(), crc32(b"123456789"));
    }

    #[test]
    fn a_flipped_bit_changes_the_checksum() {
        assert_ne!(crc32(b"hello world"), crc32(b"hello vorld"));
    }
}
