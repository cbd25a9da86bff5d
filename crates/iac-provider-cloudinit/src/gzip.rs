//! Gzip exactly as Go's `compress/gzip` writes it at the default level, so
//! that `rendered` is byte-for-byte what the upstream plugin stores (a
//! changed `user_data` replaces an instance).
//!
//! Go's framing is deterministic: no file name, modification time zero,
//! extra flags zero and OS 255. Its compressed blocks come from Go's own
//! DEFLATE compressor (`compress/flate` before Go 1.26: hash chains over a
//! 64 KiB window, lazy matching, level 6 parameters; each block written as
//! fixed Huffman, dynamic Huffman or stored, whichever is smallest, with
//! Go's length-limited Huffman code construction), and `Close` ends the
//! stream with an empty final stored block. Other compressors produce other
//! (equally valid) bytes, so this module re-implements that compressor's
//! behaviour; it is checked against vectors that Go produced.

/// A gzip stream being written the way Go's `gzip.Writer` writes it.
pub struct GoGzip {
    out: Vec<u8>,
    crc: crc32fast::Hasher,
    size: u32,
    deflate: Deflate,
}

impl Default for GoGzip {
    fn default() -> Self {
        GoGzip::new()
    }
}

impl GoGzip {
    /// A writer at Go's default compression level (6).
    pub fn new() -> GoGzip {
        // ID1 ID2, CM=deflate, no flags, MTIME 0, XFL 0, OS 255 (unknown).
        let out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        GoGzip { out, crc: crc32fast::Hasher::new(), size: 0, deflate: Deflate::new(Level::DEFAULT) }
    }

    /// One `Write` call. Go's compressor works on each call's bytes as they
    /// come, so callers write in the same pieces Go's callers do.
    pub fn write(&mut self, data: &[u8]) {
        self.crc.update(data);
        self.size = self.size.wrapping_add(data.len() as u32);
        self.deflate.write(data, &mut self.out);
    }

    /// `Flush`: what is buffered is compressed and followed by an empty
    /// stored block (a sync flush).
    pub fn flush(&mut self) {
        self.deflate.sync_flush(&mut self.out);
    }

    /// `Close`: the rest, the final empty stored block, CRC-32 and size.
    pub fn finish(mut self) -> Vec<u8> {
        self.deflate.close(&mut self.out);
        let crc = self.crc.clone().finalize();
        self.out.extend(crc.to_le_bytes());
        self.out.extend(self.size.to_le_bytes());
        self.out
    }
}

/// The gzip of `data`, written in one piece.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut z = GoGzip::new();
    z.write(data);
    z.finish()
}

const WINDOW_SIZE: i64 = 1 << 15;
const WINDOW_MASK: i64 = WINDOW_SIZE - 1;
const BASE_MATCH_LENGTH: i64 = 3;
/// The shortest match the compressor emits (the format allows 3).
const MIN_MATCH: i64 = 4;
const MAX_MATCH: i64 = 258;
const MAX_FLATE_BLOCK_TOKENS: usize = 1 << 14;
const MAX_STORE_BLOCK: usize = 65535;
const HASH_BITS: u32 = 17;
const HASH_SIZE: usize = 1 << HASH_BITS;
const HASH_MASK: u32 = (1 << HASH_BITS) - 1;
const MAX_HASH_OFFSET: i64 = 1 << 24;
/// The block-start marker for "the block began before the window moved".
const NO_BLOCK_START: i64 = i32::MAX as i64;

/// The match-search parameters of a compression level.
#[derive(Clone, Copy)]
struct Level {
    /// A match this long only searches a quarter of the chain.
    good: i64,
    /// No lazy search after a match this long.
    lazy: i64,
    /// A match this long ends the search.
    nice: i64,
    /// How many chain entries a search visits.
    chain: i64,
}

impl Level {
    /// Go's `DefaultCompression`, which is level 6.
    const DEFAULT: Level = Level { good: 8, lazy: 16, nice: 128, chain: 128 };
}

/// A DEFLATE token: a literal byte, or a match (length and distance, both
/// stored minus their smallest value).
#[derive(Clone, Copy)]
enum Token {
    Literal(u8),
    Match { xlength: u32, xoffset: u32 },
}

fn hash4(b: &[u8]) -> u32 {
    let v = u32::from(b[3]) | u32::from(b[2]) << 8 | u32::from(b[1]) << 16 | u32::from(b[0]) << 24;
    v.wrapping_mul(0x1e35_a7bd) >> (32 - HASH_BITS)
}

/// Go's LZ77 stage for levels 4 to 9: hash chains of 4-byte prefixes and
/// one step of lazy matching.
struct Deflate {
    level: Level,
    bits: BitWriter,
    window: Vec<u8>,
    hash_head: Vec<u32>,
    hash_prev: Vec<u32>,
    hash_offset: i64,
    chain_head: i64,
    index: i64,
    window_end: i64,
    block_start: i64,
    byte_available: bool,
    tokens: Vec<Token>,
    length: i64,
    offset: i64,
    max_insert_index: i64,
    sync: bool,
}

impl Deflate {
    fn new(level: Level) -> Deflate {
        Deflate {
            level,
            bits: BitWriter::new(),
            window: vec![0; 2 * WINDOW_SIZE as usize],
            hash_head: vec![0; HASH_SIZE],
            hash_prev: vec![0; WINDOW_SIZE as usize],
            hash_offset: 1,
            chain_head: -1,
            index: 0,
            window_end: 0,
            block_start: 0,
            byte_available: false,
            tokens: Vec::with_capacity(MAX_FLATE_BLOCK_TOKENS + 1),
            length: MIN_MATCH - 1,
            offset: 0,
            max_insert_index: 0,
            sync: false,
        }
    }

    fn write(&mut self, mut data: &[u8], out: &mut Vec<u8>) {
        while !data.is_empty() {
            self.step(out);
            let n = self.fill(data);
            data = &data[n..];
        }
    }

    fn sync_flush(&mut self, out: &mut Vec<u8>) {
        self.sync = true;
        self.step(out);
        self.bits.stored_header(0, false);
        self.bits.flush(out);
        self.sync = false;
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        self.sync = true;
        self.step(out);
        self.bits.stored_header(0, true);
        self.bits.flush(out);
    }

    /// Copies input into the window, first sliding it by half when the
    /// unprocessed part nears its end.
    fn fill(&mut self, data: &[u8]) -> usize {
        if self.index >= 2 * WINDOW_SIZE - (MIN_MATCH + MAX_MATCH) {
            let w = WINDOW_SIZE as usize;
            self.window.copy_within(w..2 * w, 0);
            self.index -= WINDOW_SIZE;
            self.window_end -= WINDOW_SIZE;
            self.block_start = if self.block_start >= WINDOW_SIZE { self.block_start - WINDOW_SIZE } else { NO_BLOCK_START };
            self.hash_offset += WINDOW_SIZE;
            if self.hash_offset > MAX_HASH_OFFSET {
                let delta = self.hash_offset - 1;
                self.hash_offset -= delta;
                self.chain_head -= delta;
                for v in self.hash_prev.iter_mut().chain(self.hash_head.iter_mut()) {
                    *v = if i64::from(*v) > delta { (i64::from(*v) - delta) as u32 } else { 0 };
                }
            }
        }
        let end = self.window_end as usize;
        let n = data.len().min(self.window.len() - end);
        self.window[end..end + n].copy_from_slice(&data[..n]);
        self.window_end += n as i64;
        n
    }

    fn write_block(&mut self, index: i64, out: &mut Vec<u8>) {
        if index > 0 {
            let input = (self.block_start <= index).then(|| &self.window[self.block_start as usize..index as usize]);
            self.bits.write_block(&self.tokens, input, out);
            self.block_start = index;
        }
    }

    fn insert_hash(&mut self, at: i64) {
        let a = at as usize;
        let h = hash4(&self.window[a..a + 4]);
        let head = &mut self.hash_head[(h & HASH_MASK) as usize];
        self.hash_prev[(at & WINDOW_MASK) as usize] = *head;
        *head = (at + self.hash_offset) as u32;
    }

    /// Processes the window: everything when flushing, otherwise all but
    /// the last match's worth of lookahead.
    fn step(&mut self, out: &mut Vec<u8>) {
        if self.window_end - self.index < MIN_MATCH + MAX_MATCH && !self.sync {
            return;
        }
        self.max_insert_index = self.window_end - (MIN_MATCH - 1);
        loop {
            let lookahead = self.window_end - self.index;
            if lookahead < MIN_MATCH + MAX_MATCH {
                if !self.sync {
                    break;
                }
                if lookahead == 0 {
                    if self.byte_available {
                        self.tokens.push(Token::Literal(self.window[self.index as usize - 1]));
                        self.byte_available = false;
                    }
                    if !self.tokens.is_empty() {
                        self.write_block(self.index, out);
                        self.tokens.clear();
                    }
                    break;
                }
            }
            if self.index < self.max_insert_index {
                let i = self.index as usize;
                let h = hash4(&self.window[i..i + 4]);
                let head = &mut self.hash_head[(h & HASH_MASK) as usize];
                self.chain_head = i64::from(*head);
                self.hash_prev[(self.index & WINDOW_MASK) as usize] = *head;
                *head = (self.index + self.hash_offset) as u32;
            }
            let prev_length = self.length;
            let prev_offset = self.offset;
            self.length = MIN_MATCH - 1;
            self.offset = 0;
            let min_index = (self.index - WINDOW_SIZE).max(0);
            if self.chain_head - self.hash_offset >= min_index && lookahead > prev_length && prev_length < self.level.lazy {
                if let Some((length, offset)) = self.find_match(self.index, self.chain_head - self.hash_offset, MIN_MATCH - 1, lookahead) {
                    self.length = length;
                    self.offset = offset;
                }
            }
            if prev_length >= MIN_MATCH && self.length <= prev_length {
                // The match at the previous position is at least as good:
                // emit it, and hash every position it covers.
                self.tokens.push(Token::Match { xlength: (prev_length - BASE_MATCH_LENGTH) as u32, xoffset: (prev_offset - 1) as u32 });
                let new_index = self.index + prev_length - 1;
                self.index += 1;
                while self.index < new_index {
                    if self.index < self.max_insert_index {
                        self.insert_hash(self.index);
                    }
                    self.index += 1;
                }
                self.byte_available = false;
                self.length = MIN_MATCH - 1;
                if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                    self.write_block(self.index, out);
                    self.tokens.clear();
                }
            } else {
                if self.byte_available {
                    let i = self.index - 1;
                    self.tokens.push(Token::Literal(self.window[i as usize]));
                    if self.tokens.len() == MAX_FLATE_BLOCK_TOKENS {
                        self.write_block(i + 1, out);
                        self.tokens.clear();
                    }
                }
                self.index += 1;
                self.byte_available = true;
            }
        }
    }

    /// The longest match for `pos` longer than `prev_length`, walking the
    /// hash chain from `prev_head`: (length, distance).
    fn find_match(&self, pos: i64, prev_head: i64, prev_length: i64, lookahead: i64) -> Option<(i64, i64)> {
        let look = MAX_MATCH.min(lookahead);
        let win = &self.window[..(pos + look) as usize];
        let nice = (win.len() as i64 - pos).min(self.level.nice);
        let mut tries = self.level.chain;
        let mut length = prev_length;
        if length >= self.level.good {
            tries >>= 2;
        }
        let mut found = None;
        let mut w_end = win[(pos + length) as usize];
        let w_pos = &win[pos as usize..];
        let min_index = pos - WINDOW_SIZE;
        let mut i = prev_head;
        while tries > 0 {
            if w_end == win[(i + length) as usize] {
                let n = match_len(&win[i as usize..], w_pos, look as usize) as i64;
                if n > length && (n > MIN_MATCH || pos - i <= 4096) {
                    length = n;
                    found = Some((n, pos - i));
                    if n >= nice {
                        break;
                    }
                    w_end = win[(pos + n) as usize];
                }
            }
            if i == min_index {
                break;
            }
            i = i64::from(self.hash_prev[(i & WINDOW_MASK) as usize]) - self.hash_offset;
            if i < min_index || i < 0 {
                break;
            }
            tries -= 1;
        }
        found
    }
}

fn match_len(a: &[u8], b: &[u8], max: usize) -> usize {
    a[..max].iter().zip(&b[..max]).take_while(|(x, y)| x == y).count()
}

const END_BLOCK: usize = 256;
const LENGTH_CODES_START: usize = 257;
const NUM_LITERALS: usize = 286;
const NUM_OFFSETS: usize = 30;
const NUM_CODEGENS: usize = 19;
const BAD_CODE: u8 = 255;

/// Extra bits of each length code (257..=285).
const LENGTH_EXTRA_BITS: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
/// The smallest length (minus 3) of each length code.
const LENGTH_BASE: [u32; 29] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 255];
/// Extra bits of each distance code.
const OFFSET_EXTRA_BITS: [u8; 30] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/// The smallest distance (minus 1) of each distance code.
const OFFSET_BASE: [u32; 30] =
    [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576];
/// The order in which code-length code lengths are written.
const CODEGEN_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

fn length_code(xlength: u32) -> usize {
    LENGTH_BASE.iter().rposition(|&b| b <= xlength).unwrap_or(0)
}

fn offset_code(xoffset: u32) -> usize {
    OFFSET_BASE.iter().rposition(|&b| b <= xoffset).unwrap_or(0)
}

/// A Huffman code table: per symbol, its bit-reversed code and length.
#[derive(Clone)]
struct Encoder {
    code: Vec<u16>,
    len: Vec<u16>,
}

fn reverse_bits(n: u16, len: u16) -> u16 {
    (n << (16 - len)).reverse_bits()
}

impl Encoder {
    fn new(size: usize) -> Encoder {
        Encoder { code: vec![0; size], len: vec![0; size] }
    }

    fn fixed_literals() -> Encoder {
        let mut e = Encoder::new(NUM_LITERALS);
        for ch in 0..NUM_LITERALS as u16 {
            let (bits, size) = match ch {
                0..=143 => (ch + 48, 8),
                144..=255 => (ch + 400 - 144, 9),
                256..=279 => (ch - 256, 7),
                _ => (ch + 192 - 280, 8),
            };
            e.code[ch as usize] = reverse_bits(bits, size);
            e.len[ch as usize] = size;
        }
        e
    }

    fn fixed_offsets() -> Encoder {
        let mut e = Encoder::new(NUM_OFFSETS);
        for i in 0..NUM_OFFSETS {
            e.code[i] = reverse_bits(i as u16, 5);
            e.len[i] = 5;
        }
        e
    }

    fn bit_length(&self, freq: &[i32]) -> i64 {
        freq.iter().zip(&self.len).map(|(&f, &l)| i64::from(f) * i64::from(l)).sum()
    }

    /// The length-limited minimum-redundancy code for `freq` (codes of
    /// equal length go to symbols in increasing order).
    fn generate(&mut self, freq: &[i32], max_bits: i32) {
        let mut list: Vec<(u16, i32)> = Vec::with_capacity(freq.len() + 1);
        for (i, &f) in freq.iter().enumerate() {
            if f != 0 {
                list.push((i as u16, f));
            } else {
                self.len[i] = 0;
            }
        }
        if list.len() <= 2 {
            for (i, &(lit, _)) in list.iter().enumerate() {
                self.code[lit as usize] = i as u16;
                self.len[lit as usize] = 1;
            }
            return;
        }
        list.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let counts = bit_counts(&list, max_bits);
        let mut code: u16 = 0;
        let mut rest = list.as_mut_slice();
        for (bits, &count) in counts.iter().enumerate() {
            code <<= 1;
            if bits == 0 || count == 0 {
                continue;
            }
            // The `count` most frequent symbols left get `bits`-bit codes,
            // assigned in symbol order.
            let split = rest.len() - count as usize;
            let (head, chunk) = rest.split_at_mut(split);
            chunk.sort_by_key(|n| n.0);
            for &(lit, _) in chunk.iter() {
                self.code[lit as usize] = reverse_bits(code, bits as u16);
                self.len[lit as usize] = bits as u16;
                code = code.wrapping_add(1);
            }
            rest = head;
        }
    }
}

/// How many symbols get each code length (index = length), for `list`
/// sorted by increasing frequency (at least three symbols): the
/// package-merge construction as Go's encoder runs it.
fn bit_counts(list: &[(u16, i32)], max_bits: i32) -> Vec<i32> {
    #[derive(Clone, Copy, Default)]
    struct LevelInfo {
        level: i32,
        last_freq: i32,
        next_char_freq: i32,
        next_pair_freq: i32,
        needed: i32,
    }
    const LIMIT: usize = 16;
    let n = list.len() as i32;
    let freq_at = |i: i32| if i < n { list[i as usize].1 } else { i32::MAX };
    let max_bits = max_bits.min(n - 1);
    let mut levels = [LevelInfo::default(); LIMIT];
    let mut leaf_counts = [[0i32; LIMIT]; LIMIT];
    for level in 1..=max_bits {
        levels[level as usize] = LevelInfo {
            level,
            last_freq: freq_at(1),
            next_char_freq: freq_at(2),
            next_pair_freq: if level == 1 { i32::MAX } else { freq_at(0) + freq_at(1) },
            needed: 0,
        };
        leaf_counts[level as usize][level as usize] = 2;
    }
    levels[max_bits as usize].needed = 2 * n - 4;
    let mut level = max_bits as usize;
    loop {
        let l = levels[level];
        if l.next_pair_freq == i32::MAX && l.next_char_freq == i32::MAX {
            // Out of leaves and pairs: this level is done for good.
            levels[level].needed = 0;
            levels[level + 1].next_pair_freq = i32::MAX;
            level += 1;
            continue;
        }
        let prev_freq = l.last_freq;
        if l.next_char_freq < l.next_pair_freq {
            // The next item on this level is a leaf.
            let c = leaf_counts[level][level] + 1;
            levels[level].last_freq = l.next_char_freq;
            leaf_counts[level][level] = c;
            levels[level].next_char_freq = freq_at(c);
        } else {
            // The next item is a pair from the level below.
            levels[level].last_freq = l.next_pair_freq;
            let below = leaf_counts[level - 1];
            leaf_counts[level][..level].copy_from_slice(&below[..level]);
            levels[level - 1].needed = 2;
        }
        levels[level].needed -= 1;
        if levels[level].needed == 0 {
            if levels[level].level == max_bits {
                break;
            }
            levels[level + 1].next_pair_freq = prev_freq + levels[level].last_freq;
            level += 1;
        } else {
            while levels[level - 1].needed > 0 {
                level -= 1;
            }
        }
    }
    assert_eq!(leaf_counts[max_bits as usize][max_bits as usize], n, "Huffman construction used every symbol");
    let mut counts = vec![0i32; max_bits as usize + 1];
    let top = leaf_counts[max_bits as usize];
    for (bits, level) in (1..=max_bits as usize).rev().enumerate() {
        counts[bits + 1] = top[level] - top[level - 1];
    }
    counts
}

/// Writes DEFLATE blocks, least significant bit first.
struct BitWriter {
    acc: u64,
    nbits: u32,
    literal_freq: Vec<i32>,
    offset_freq: Vec<i32>,
    codegen: Vec<u8>,
    codegen_freq: [i32; NUM_CODEGENS],
    literals: Encoder,
    offsets: Encoder,
    codegens: Encoder,
    fixed_literals: Encoder,
    fixed_offsets: Encoder,
    /// Output not yet handed to the caller's buffer.
    pending: Vec<u8>,
}

impl BitWriter {
    fn new() -> BitWriter {
        BitWriter {
            acc: 0,
            nbits: 0,
            literal_freq: vec![0; NUM_LITERALS],
            offset_freq: vec![0; NUM_OFFSETS],
            codegen: vec![0; NUM_LITERALS + NUM_OFFSETS + 1],
            codegen_freq: [0; NUM_CODEGENS],
            literals: Encoder::new(NUM_LITERALS),
            offsets: Encoder::new(NUM_OFFSETS),
            codegens: Encoder::new(NUM_CODEGENS),
            fixed_literals: Encoder::fixed_literals(),
            fixed_offsets: Encoder::fixed_offsets(),
            pending: Vec::new(),
        }
    }

    fn bits(&mut self, value: u32, n: u32) {
        self.acc |= u64::from(value) << self.nbits;
        self.nbits += n;
        while self.nbits >= 8 {
            self.pending.push(self.acc as u8);
            self.acc >>= 8;
            self.nbits -= 8;
        }
    }

    fn code(&mut self, enc: Which, symbol: usize) {
        let e = self.encoder(enc);
        let (code, len) = (e.code[symbol], e.len[symbol]);
        self.bits(u32::from(code), u32::from(len));
    }

    fn encoder(&self, which: Which) -> &Encoder {
        match which {
            Which::Literals => &self.literals,
            Which::Offsets => &self.offsets,
            Which::Codegens => &self.codegens,
            Which::FixedLiterals => &self.fixed_literals,
            Which::FixedOffsets => &self.fixed_offsets,
        }
    }

    /// Pads to a byte boundary and hands everything written to `out`.
    fn flush(&mut self, out: &mut Vec<u8>) {
        if self.nbits > 0 {
            self.pending.push(self.acc as u8);
        }
        self.acc = 0;
        self.nbits = 0;
        out.append(&mut self.pending);
    }

    fn stored_header(&mut self, length: usize, eof: bool) {
        self.bits(u32::from(eof), 3);
        if self.nbits > 0 {
            self.bits(0, 8 - self.nbits);
        }
        self.bits(length as u32, 16);
        self.bits(u32::from(!(length as u16)), 16);
    }

    /// Counts symbol frequencies (with the end-of-block marker) and builds
    /// the dynamic codes: (literal/length symbols used, distance symbols used).
    fn index_tokens(&mut self, tokens: &[Token]) -> (usize, usize) {
        self.literal_freq.iter_mut().for_each(|f| *f = 0);
        self.offset_freq.iter_mut().for_each(|f| *f = 0);
        for t in tokens {
            match *t {
                Token::Literal(b) => self.literal_freq[b as usize] += 1,
                Token::Match { xlength, xoffset } => {
                    self.literal_freq[LENGTH_CODES_START + length_code(xlength)] += 1;
                    self.offset_freq[offset_code(xoffset)] += 1;
                }
            }
        }
        self.literal_freq[END_BLOCK] += 1;
        let mut num_literals = NUM_LITERALS;
        while self.literal_freq[num_literals - 1] == 0 {
            num_literals -= 1;
        }
        let mut num_offsets = NUM_OFFSETS;
        while num_offsets > 0 && self.offset_freq[num_offsets - 1] == 0 {
            num_offsets -= 1;
        }
        if num_offsets == 0 {
            // A dynamic block needs at least one distance code.
            self.offset_freq[0] = 1;
            num_offsets = 1;
        }
        let (lf, of) = (self.literal_freq.clone(), self.offset_freq.clone());
        self.literals.generate(&lf, 15);
        self.offsets.generate(&of, 15);
        (num_literals, num_offsets)
    }

    /// The run-length encoding of the literal and distance code lengths
    /// (RFC 1951 3.2.7), into `codegen` (ended by BAD_CODE), counting each
    /// code in `codegen_freq`.
    fn generate_codegen(&mut self, num_literals: usize, num_offsets: usize) {
        self.codegen_freq = [0; NUM_CODEGENS];
        let mut sizes: Vec<u8> = Vec::with_capacity(num_literals + num_offsets + 1);
        sizes.extend(self.literals.len[..num_literals].iter().map(|&l| l as u8));
        sizes.extend(self.offsets.len[..num_offsets].iter().map(|&l| l as u8));
        sizes.push(BAD_CODE);
        let mut out: Vec<u8> = Vec::with_capacity(sizes.len());
        let mut size = sizes[0];
        let mut count: i32 = 1;
        let mut i = 1;
        while size != BAD_CODE {
            let next = sizes[i];
            i += 1;
            if next == size {
                count += 1;
                continue;
            }
            if size != 0 {
                out.push(size);
                self.codegen_freq[size as usize] += 1;
                count -= 1;
                while count >= 3 {
                    let n = count.min(6);
                    out.extend([16, (n - 3) as u8]);
                    self.codegen_freq[16] += 1;
                    count -= n;
                }
            } else {
                while count >= 11 {
                    let n = count.min(138);
                    out.extend([18, (n - 11) as u8]);
                    self.codegen_freq[18] += 1;
                    count -= n;
                }
                if count >= 3 {
                    out.extend([17, (count - 3) as u8]);
                    self.codegen_freq[17] += 1;
                    count = 0;
                }
            }
            while count > 0 {
                out.push(size);
                self.codegen_freq[size as usize] += 1;
                count -= 1;
            }
            size = next;
            count = 1;
        }
        out.push(BAD_CODE);
        self.codegen = out;
    }

    /// The size in bits of the block in dynamic Huffman form, and how many
    /// code-length codes its header lists.
    fn dynamic_size(&self, extra_bits: i64) -> (i64, usize) {
        let mut num_codegens = NUM_CODEGENS;
        while num_codegens > 4 && self.codegen_freq[CODEGEN_ORDER[num_codegens - 1]] == 0 {
            num_codegens -= 1;
        }
        let header = 3
            + 5
            + 5
            + 4
            + 3 * num_codegens as i64
            + self.codegens.bit_length(&self.codegen_freq)
            + i64::from(self.codegen_freq[16]) * 2
            + i64::from(self.codegen_freq[17]) * 3
            + i64::from(self.codegen_freq[18]) * 7;
        (header + self.literals.bit_length(&self.literal_freq) + self.offsets.bit_length(&self.offset_freq) + extra_bits, num_codegens)
    }

    /// Writes `tokens` as one non-final block in the smallest form: fixed
    /// Huffman, dynamic Huffman, or (when `input` is given and fits) stored.
    fn write_block(&mut self, tokens: &[Token], input: Option<&[u8]>, out: &mut Vec<u8>) {
        let (num_literals, num_offsets) = self.index_tokens(tokens);
        let stored_size = input.filter(|i| i.len() <= MAX_STORE_BLOCK).map(|i| (i.len() as i64 + 5) * 8);
        let mut extra_bits = 0i64;
        if stored_size.is_some() {
            for code in LENGTH_CODES_START + 8..num_literals {
                extra_bits += i64::from(self.literal_freq[code]) * i64::from(LENGTH_EXTRA_BITS[code - LENGTH_CODES_START]);
            }
            for (freq, extra) in self.offset_freq[..num_offsets].iter().zip(OFFSET_EXTRA_BITS).skip(4) {
                extra_bits += i64::from(*freq) * i64::from(extra);
            }
        }
        let fixed_size = 3 + self.fixed_literals.bit_length(&self.literal_freq) + self.fixed_offsets.bit_length(&self.offset_freq) + extra_bits;
        self.generate_codegen(num_literals, num_offsets);
        let cf = self.codegen_freq;
        self.codegens.generate(&cf, 7);
        let (dynamic_size, num_codegens) = self.dynamic_size(extra_bits);
        let dynamic = dynamic_size < fixed_size;
        let size = if dynamic { dynamic_size } else { fixed_size };
        if let (Some(stored), Some(input)) = (stored_size, input) {
            if stored < size {
                self.stored_header(input.len(), false);
                self.pending.extend_from_slice(input);
                out.append(&mut self.pending);
                return;
            }
        }
        let (lit, off) = if dynamic {
            self.dynamic_header(num_literals, num_offsets, num_codegens);
            (Which::Literals, Which::Offsets)
        } else {
            self.bits(2, 3);
            (Which::FixedLiterals, Which::FixedOffsets)
        };
        for t in tokens {
            match *t {
                Token::Literal(b) => self.code(lit, b as usize),
                Token::Match { xlength, xoffset } => {
                    let lc = length_code(xlength);
                    self.code(lit, LENGTH_CODES_START + lc);
                    if LENGTH_EXTRA_BITS[lc] > 0 {
                        self.bits(xlength - LENGTH_BASE[lc], u32::from(LENGTH_EXTRA_BITS[lc]));
                    }
                    let oc = offset_code(xoffset);
                    self.code(off, oc);
                    if OFFSET_EXTRA_BITS[oc] > 0 {
                        self.bits(xoffset - OFFSET_BASE[oc], u32::from(OFFSET_EXTRA_BITS[oc]));
                    }
                }
            }
        }
        self.code(lit, END_BLOCK);
        // Whole bytes go out as they are made; the partial byte stays.
        out.append(&mut self.pending);
    }

    fn dynamic_header(&mut self, num_literals: usize, num_offsets: usize, num_codegens: usize) {
        self.bits(4, 3);
        self.bits((num_literals - 257) as u32, 5);
        self.bits((num_offsets - 1) as u32, 5);
        self.bits((num_codegens - 4) as u32, 4);
        for &c in &CODEGEN_ORDER[..num_codegens] {
            let len = self.codegens.len[c];
            self.bits(u32::from(len), 3);
        }
        let codegen = std::mem::take(&mut self.codegen);
        let mut i = 0;
        loop {
            let c = codegen[i];
            i += 1;
            if c == BAD_CODE {
                break;
            }
            self.code(Which::Codegens, c as usize);
            let extra = match c {
                16 => 2,
                17 => 3,
                18 => 7,
                _ => 0,
            };
            if extra > 0 {
                self.bits(u32::from(codegen[i]), extra);
                i += 1;
            }
        }
        self.codegen = codegen;
    }
}

/// Which code table a symbol is written with.
#[derive(Clone, Copy)]
enum Which {
    Literals,
    Offsets,
    Codegens,
    FixedLiterals,
    FixedOffsets,
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(b: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    #[test]
    fn an_empty_stream_is_the_header_an_empty_final_block_and_the_trailer() {
        assert_eq!(b64(&gzip(b"")), "H4sIAAAAAAAA/wEAAP//AAAAAAAAAAA=");
    }

    #[test]
    fn go_deflate_vectors() {
        // compress/flate's own expectations for a Write then Close at the
        // default level (and at 9, which these short inputs do not tell
        // apart from 6).
        let cases: [(&[u8], &[u8]); 4] = [
            (b"", &[1, 0, 0, 255, 255]),
            (&[0x11], &[18, 4, 4, 0, 0, 255, 255]),
            (&[0x11, 0x12], &[18, 20, 2, 4, 0, 0, 255, 255]),
            (&[0x11; 8], &[18, 132, 2, 64, 0, 0, 0, 255, 255]),
        ];
        for (input, want) in cases {
            let mut d = Deflate::new(Level::DEFAULT);
            let mut out = Vec::new();
            d.write(input, &mut out);
            d.close(&mut out);
            assert_eq!(out, want, "input {input:?}");
        }
    }

    /// The inputs Terraform's `base64gzip` (Go's gzip: Write, Flush,
    /// Close) was run on, made by a small xorshift generator.
    fn xorshift(seed: u32) -> impl Iterator<Item = u32> {
        let mut s = seed;
        std::iter::repeat_with(move || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s
        })
    }

    fn text(seed: u32, n: usize, alphabet: &[u8]) -> Vec<u8> {
        xorshift(seed).take(n).map(|r| alphabet[r as usize % alphabet.len()]).collect()
    }

    fn words(seed: u32, n: usize) -> Vec<u8> {
        let vocab = [
            "package",
            "runcmd",
            "write_files",
            "- path: /etc/",
            "apt",
            "update",
            "echo",
            "hello",
            "world",
            "\n",
            "  ",
            "content: |",
            "owner: root",
            "#cloud-config",
            "permissions: '0644'",
        ];
        let mut out = String::new();
        let mut g = xorshift(seed);
        while out.len() < n {
            let w = vocab[g.next().unwrap_or(0) as usize % vocab.len()];
            out.push_str(w);
            if !w.ends_with('\n') {
                out.push(' ');
            }
        }
        out.truncate(n);
        out.into_bytes()
    }

    #[test]
    fn byte_identical_to_go_on_long_inputs() {
        use sha2::Digest as _;
        let printable: Vec<u8> = (32u8..127).collect();
        let mut runs = vec![b'a'; 70000];
        runs.extend(vec![b'b'; 30000]);
        // (input, length and SHA-256 of Terraform's base64gzip of it)
        let cases: Vec<(&str, Vec<u8>, usize, &str)> = vec![
            ("letters", text(1, 1000, b"abcdefghij"), 485, "1bde76c16cdd2cfd0f76183cec8655fb981613c51e5aaefbafdfac345a3ac742"),
            ("printable", text(2, 70000, &printable), 58205, "e06ef8e79b70698c1e2dbbdfdd8f1598fdd935d2b45ed1a4f3597c780cc344bf"),
            ("runs", runs, 144, "5d3f846b4013681283a257425e5a18732c5a3ee22940da3540498530f9ab9784"),
            ("words 300k", words(3, 300000), 33217, "85623e7daf32c52bf3c3c045523db61a0e1e709a3435fc3ec33728e9a611f6cf"),
            ("two letters", text(4, 40000, b"ab"), 6412, "1d1959ca417f04f908428302d11c0bbc0ba7a077733a9a30ac971af1a4462000"),
            ("words 20k", words(5, 20000), 2624, "5e0309efff19c65c32f5a70f83fdf0ee95cd6c590179dbd051191328620a859c"),
        ];
        for (name, input, len, sum) in cases {
            let mut z = GoGzip::new();
            z.write(&input);
            z.flush();
            let out = z.finish();
            assert_eq!((out.len(), hex(&sha2::Sha256::digest(&out))), (len, sum.to_string()), "{name}");
        }
        let mut z = GoGzip::new();
        z.write(b"hello world");
        z.flush();
        assert_eq!(b64(&z.finish()), "H4sIAAAAAAAA/8pIzcnJVyjPL8pJAQAAAP//AQAA//+FEUoNCwAAAA==");
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
