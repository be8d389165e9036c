//! A read-only view over a parsed record: the flat tape of [`Node`]s that both parsers
//! (simd-json on the hot path, [`crate::parse`]'s exact fallback) produce.
//!
//! Objects keep every member, duplicates included, in input order. JavaScript's `JSON.parse`
//! keeps one member per key: at the key's first position, with its last value. That rule
//! lives here and nowhere else: [`Shadows`] says, for every member of every object of a
//! record, whether a later member repeats its key (it is shadowed) and whether an earlier one
//! did (it is a repeat); [`Value::members`] walks the members `JSON.parse` keeps and
//! [`Value::members_all`] walks all of them with those flags.
//!
//! The parser computes a record's [`Shadows`] once, in one pass over the tape, and most
//! records repeat no key at all: then every walk skips the question with one flag. A view made
//! with [`Value::root`] has no precomputed table and finds repeats object by object.

pub use simd_json::{Node, StaticNode};

/// The JSON type of a value, named as the error messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `{...}`.
    Object,
    /// `[...]`.
    Array,
    /// `"..."`.
    String,
    /// Any JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// `null`.
    Null,
}

impl Kind {
    /// The name the messages use: `object`, `array`, `string`, `number`, `boolean`, `null`.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Null => "null",
        }
    }
}

/// A value inside a tape.
#[derive(Clone, Copy, Debug)]
pub struct Value<'t, 'a> {
    tape: &'t [Node<'a>],
    idx: usize,
    shadows: &'t Shadows,
}

/// A tape's view without a precomputed [`Shadows`].
static NOT_COMPUTED: Shadows = Shadows::new();

impl<'t, 'a> Value<'t, 'a> {
    /// The root value of a tape, without precomputed repeats (each walked object is examined
    /// when it is walked). The tape must not be empty.
    pub fn root(tape: &'t [Node<'a>]) -> Self {
        Value {
            tape,
            idx: 0,
            shadows: &NOT_COMPUTED,
        }
    }

    /// The root value of a tape whose repeats `shadows` holds (see [`Shadows::compute`]).
    pub fn root_with(tape: &'t [Node<'a>], shadows: &'t Shadows) -> Self {
        debug_assert!(shadows.computed);
        Value {
            tape,
            idx: 0,
            shadows,
        }
    }

    fn at(&self, idx: usize) -> Self {
        Value { idx, ..*self }
    }

    /// Whether some key inside this value contains `.` or `$`, when the record's table can
    /// tell (see [`Shadows`]); `None` when the walk must find out.
    pub fn has_dotted_key(&self) -> Option<bool> {
        if !self.shadows.computed {
            return None;
        }
        self.shadows.dotted_within(self.idx..self.idx + self.span())
    }

    /// Whether this value's record is known to repeat no key in any object (`None` when the
    /// view has no precomputed [`Shadows`]).
    pub fn no_repeats_anywhere(&self) -> Option<bool> {
        self.shadows.computed.then_some(!self.shadows.any)
    }

    fn node(&self) -> Node<'a> {
        self.tape[self.idx]
    }

    /// Position of this value's node in the tape.
    pub fn tape_index(&self) -> usize {
        self.idx
    }

    /// The value's JSON type.
    pub fn kind(&self) -> Kind {
        match self.node() {
            Node::Object { .. } => Kind::Object,
            Node::Array { .. } => Kind::Array,
            Node::String(_) => Kind::String,
            Node::Static(StaticNode::Bool(_)) => Kind::Boolean,
            Node::Static(StaticNode::Null) => Kind::Null,
            Node::Static(_) => Kind::Number,
        }
    }

    /// Number of tape nodes this value spans, itself included.
    pub fn span(&self) -> usize {
        match self.node() {
            Node::Object { count, .. } | Node::Array { count, .. } => count + 1,
            _ => 1,
        }
    }

    /// The decoded string, if the value is a string.
    pub fn as_str(&self) -> Option<&'a str> {
        match self.node() {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if the value is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.node() {
            Node::Static(StaticNode::Bool(b)) => Some(b),
            _ => None,
        }
    }

    /// The value as an `f64` if it is a number (large integers round, as in JavaScript).
    pub fn as_f64(&self) -> Option<f64> {
        match self.node() {
            Node::Static(StaticNode::I64(i)) => Some(i as f64),
            Node::Static(StaticNode::U64(u)) => Some(u as f64),
            Node::Static(StaticNode::F64(f)) => Some(f),
            _ => None,
        }
    }

    /// The value as an integer if it is a number with an integral, finite value that fits
    /// in 64 bits (`32.0` is 32; `1.5` and `1e400` are not integers).
    pub fn as_integer(&self) -> Option<i128> {
        match self.node() {
            Node::Static(StaticNode::I64(i)) => Some(i128::from(i)),
            Node::Static(StaticNode::U64(u)) => Some(i128::from(u)),
            Node::Static(StaticNode::F64(f)) if f.is_finite() && f.fract() == 0.0 => {
                // Beyond 2^63 the value is still integral; clamp so comparisons stay sane.
                Some(f.clamp(-1.0e30, 1.0e30) as i128)
            }
            _ => None,
        }
    }

    /// Number of members of an object or elements of an array; 0 otherwise.
    pub fn len(&self) -> usize {
        match self.node() {
            Node::Object { len, .. } | Node::Array { len, .. } => len,
            _ => 0,
        }
    }

    /// Whether [`Value::len`] is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The members of an object, duplicates included, in input order.
    pub fn entries(&self) -> Entries<'t, 'a> {
        let (next, left) = match self.node() {
            Node::Object { len, .. } => (self.idx + 1, len),
            _ => (self.idx + 1, 0),
        };
        Entries {
            of: *self,
            next,
            left,
        }
    }

    /// The members `JSON.parse` keeps the values of: every member that no later member
    /// repeats, in input order (a repeated key is met at its last position).
    pub fn members(&self) -> impl Iterator<Item = (&'a str, Value<'t, 'a>)> + use<'t, 'a> {
        self.members_all()
            .filter(|m| !m.shadowed)
            .map(|m| (m.key, m.value))
    }

    /// Every member of an object in input order, with what repeats of its key say of it.
    pub fn members_all(&self) -> MembersAll<'t, 'a> {
        let entries = self.entries();
        let lazy = if self.shadows.computed || entries.left < 2 {
            None
        } else {
            Some(ObjectRepeats::of(self.tape, self.idx, entries.left))
        };
        MembersAll {
            entries,
            lazy,
            ordinal: 0,
        }
    }

    /// The elements of an array.
    pub fn elements(&self) -> Elements<'t, 'a> {
        let (next, left) = match self.node() {
            Node::Array { len, .. } => (self.idx + 1, len),
            _ => (self.idx + 1, 0),
        };
        Elements {
            of: *self,
            next,
            left,
        }
    }

    /// The last member named `key` (JavaScript's last-wins rule).
    pub fn get(&self, key: &str) -> Option<Value<'t, 'a>> {
        let mut found = None;
        for (k, v) in self.entries() {
            if k == key {
                found = Some(v);
            }
        }
        found
    }
}

/// Iterator over an object's members.
#[derive(Debug)]
pub struct Entries<'t, 'a> {
    of: Value<'t, 'a>,
    next: usize,
    left: usize,
}

impl<'t, 'a> Iterator for Entries<'t, 'a> {
    type Item = (&'a str, Value<'t, 'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let key = match self.of.tape[self.next] {
            Node::String(s) => s,
            _ => "",
        };
        let value = self.of.at(self.next + 1);
        self.next += 1 + value.span();
        Some((key, value))
    }
}

/// One member of an object and what repeats of its key say of it.
#[derive(Clone, Copy, Debug)]
pub struct Member<'t, 'a> {
    pub key: &'a str,
    pub value: Value<'t, 'a>,
    /// A later member has the same key: `JSON.parse` drops this value.
    pub shadowed: bool,
    /// An earlier member has the same key: `JSON.parse` keeps the key at that position.
    pub repeat: bool,
}

impl Member<'_, '_> {
    /// The first of several members with the same key.
    pub fn first_of_repeated(&self) -> bool {
        self.shadowed && !self.repeat
    }
}

/// Iterator over an object's members with their repeat flags; see [`Value::members_all`].
#[derive(Debug)]
pub struct MembersAll<'t, 'a> {
    entries: Entries<'t, 'a>,
    /// The object's repeats, for a view without precomputed [`Shadows`].
    lazy: Option<ObjectRepeats>,
    ordinal: usize,
}

impl<'t, 'a> Iterator for MembersAll<'t, 'a> {
    type Item = Member<'t, 'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let (key, value) = self.entries.next()?;
        let i = self.ordinal;
        self.ordinal += 1;
        let (shadowed, repeat) = match &self.lazy {
            Some(r) => (r.shadowed.get(i), r.repeat.get(i)),
            None => value.shadows.of_key(value.idx - 1),
        };
        Some(Member {
            key,
            value,
            shadowed,
            repeat,
        })
    }
}

/// Iterator over an array's elements.
#[derive(Debug)]
pub struct Elements<'t, 'a> {
    of: Value<'t, 'a>,
    next: usize,
    left: usize,
}

impl<'t, 'a> Iterator for Elements<'t, 'a> {
    type Item = Value<'t, 'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let value = self.of.at(self.next);
        self.next += value.span();
        Some(value)
    }
}

/// A set of small integers (member ordinals or tape indexes), in words.
#[derive(Clone, Debug, Default)]
struct Bits(Vec<u64>);

impl Bits {
    const fn new() -> Self {
        Bits(Vec::new())
    }

    fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    fn set(&mut self, i: usize) {
        if self.0.len() <= i / 64 {
            self.0.resize(i / 64 + 1, 0);
        }
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn clear(&mut self) {
        self.0.fill(0);
    }
}

/// For every member of every object of one record: whether a later member of its object
/// repeats its key, and whether an earlier one did. Indexed by the tape position of the
/// member's key. Built for reuse: a worker keeps one and recomputes it per record.
#[derive(Clone, Debug, Default)]
pub struct Shadows {
    computed: bool,
    /// Some object of the record repeats a key.
    any: bool,
    shadowed: Bits,
    repeat: Bits,
    /// Keys below the root that contain `.` or `$` (which metadata may not have, SPEC 2.3),
    /// noted in the same pass so that the metadata rule need not walk metadata that has none.
    dotted: Bits,
    any_dotted: bool,
}

impl Shadows {
    pub const fn new() -> Self {
        Shadows {
            computed: false,
            any: false,
            shadowed: Bits::new(),
            repeat: Bits::new(),
            dotted: Bits::new(),
            any_dotted: false,
        }
    }

    /// Finds the repeated keys of every object of `tape`, in one pass over it.
    pub fn compute(&mut self, tape: &[Node<'_>]) {
        if self.any {
            self.shadowed.clear();
            self.repeat.clear();
        }
        if self.any_dotted {
            self.dotted.clear();
        }
        self.computed = true;
        self.any = false;
        self.any_dotted = false;
        for (at, node) in tape.iter().enumerate() {
            let Node::Object { len, .. } = *node else {
                continue;
            };
            let keys = KeyIndexes { tape, next: at + 1 }.take(len);
            // The root's own keys are never metadata keys.
            if at > 0 {
                for k in keys.clone() {
                    if has_dot_or_dollar(key_at(tape, k).as_bytes()) {
                        self.any_dotted = true;
                        self.dotted.set(k);
                    }
                }
            }
            if len > 1 {
                let (shadowed, repeat, any) = (&mut self.shadowed, &mut self.repeat, &mut self.any);
                repeated_pairs(tape, keys, len, |earlier, later| {
                    *any = true;
                    shadowed.set(earlier);
                    repeat.set(later);
                });
            }
        }
    }

    /// Whether some object of the record repeats a key.
    pub fn any(&self) -> bool {
        self.any
    }

    /// Whether a key in tape positions `range` contains `.` or `$`; `None` when the record
    /// repeats a key (a shadowed member's keys do not count, and this table does not say
    /// which members a shadowed value holds).
    fn dotted_within(&self, range: std::ops::Range<usize>) -> Option<bool> {
        if self.any {
            return None;
        }
        Some(self.any_dotted && range.into_iter().any(|i| self.dotted.get(i)))
    }

    /// (shadowed, repeat) of the member whose key is at tape position `key`.
    fn of_key(&self, key: usize) -> (bool, bool) {
        if self.any {
            (self.shadowed.get(key), self.repeat.get(key))
        } else {
            (false, false)
        }
    }
}

/// The tape positions of an object's keys, in order.
#[derive(Clone)]
struct KeyIndexes<'t, 'a> {
    tape: &'t [Node<'a>],
    next: usize,
}

impl Iterator for KeyIndexes<'_, '_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let key = self.next;
        let value = match self.tape.get(key + 1)? {
            Node::Object { count, .. } | Node::Array { count, .. } => count + 1,
            _ => 1,
        };
        self.next = key + 1 + value;
        Some(key)
    }
}

/// One object's repeats by member ordinal, for views without precomputed [`Shadows`].
#[derive(Clone, Debug)]
struct ObjectRepeats {
    shadowed: Bits,
    repeat: Bits,
}

impl ObjectRepeats {
    fn of(tape: &[Node<'_>], obj: usize, len: usize) -> Self {
        let mut r = ObjectRepeats {
            shadowed: Bits::new(),
            repeat: Bits::new(),
        };
        let keys = KeyIndexes {
            tape,
            next: obj + 1,
        };
        // Ordinals, not tape positions: map each key position back to its rank.
        let positions: Vec<usize> = keys.take(len).collect();
        repeated_pairs(tape, positions.iter().copied(), len, |earlier, later| {
            let rank = |p: usize| positions.binary_search(&p).unwrap_or_default();
            r.shadowed.set(rank(earlier));
            r.repeat.set(rank(later));
        });
        r
    }
}

fn key_at<'a>(tape: &[Node<'a>], at: usize) -> &'a str {
    match tape[at] {
        Node::String(s) => s,
        _ => "",
    }
}

/// Calls `pair(earlier, later)` (tape positions of keys) for members of one object that have
/// the same key: at least for every two such members that follow each other, which is what
/// the flags need. An object of up to 64 members first puts each key in one of 256 buckets
/// by its length and outer bytes, which stores nothing: most objects have no two keys in one
/// bucket, and are done. Only keys that share a bucket are compared, with each other. (The
/// earlier way, every pair of keys of every object compared once per walk that needed it,
/// was 6.4% of a 1-thread run's cycles on the 1M-user set.) A larger object sorts its keys
/// once, so that 100,000 keys stay linear-logarithmic.
fn repeated_pairs<I>(tape: &[Node<'_>], keys: I, len: usize, mut pair: impl FnMut(usize, usize))
where
    I: Iterator<Item = usize> + Clone,
{
    const SMALL: usize = 64;
    if len > SMALL {
        let mut all: Vec<(&str, usize)> = keys.map(|at| (key_at(tape, at), at)).collect();
        all.sort_unstable();
        for w in all.windows(2) {
            if w[0].0 == w[1].0 {
                pair(w[0].1, w[1].1);
            }
        }
        return;
    }
    let (mut seen, mut shared) = ([0u64; 4], [0u64; 4]);
    let mut any = false;
    for at in keys.clone() {
        let b = bucket_of(key_at(tape, at).as_bytes());
        let (w, bit) = (b / 64, 1u64 << (b % 64));
        if seen[w] & bit != 0 {
            shared[w] |= bit;
            any = true;
        }
        seen[w] |= bit;
    }
    if !any {
        return;
    }
    let in_shared = |b: usize| shared[b / 64] >> (b % 64) & 1 == 1;
    let mut rest = keys;
    while let Some(at) = rest.next() {
        let key = key_at(tape, at).as_bytes();
        let b = bucket_of(key);
        if !in_shared(b) {
            continue;
        }
        for later in rest.clone() {
            let other = key_at(tape, later).as_bytes();
            if other.len() == key.len() && bucket_of(other) == b && other == key {
                pair(at, later);
            }
        }
    }
}

/// Whether `key` contains `.` or `$`: byte by byte when short, else eight bytes at a time
/// (the last word overlapping the one before). (A byte loop over every key was 4.7% of the
/// record stage's instructions.)
#[inline]
fn has_dot_or_dollar(key: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if key.len() < 8 {
        return key.iter().any(|&b| b == b'.' || b == b'$');
    }
    let word = |c: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_le_bytes(w);
        let has = |b: u8| {
            let x = w ^ (ONES * u64::from(b));
            x.wrapping_sub(ONES) & !x & HIGH != 0
        };
        has(b'.') || has(b'$')
    };
    key.chunks_exact(8).any(word) || word(&key[key.len() - 8..])
}

/// A key's bucket among 256: its length and three of its bytes, mixed.
fn bucket_of(key: &[u8]) -> usize {
    let (first, last) = (
        key.first().copied().unwrap_or(0),
        key.last().copied().unwrap_or(0),
    );
    let second = key.get(1).copied().unwrap_or(0);
    let h = (key.len() as u32)
        .wrapping_mul(0x9E37_79B9)
        .wrapping_add(u32::from(first).wrapping_mul(0x85EB_CA6B))
        .wrapping_add(u32::from(second).wrapping_mul(0xC2B2_AE35))
        .wrapping_add(u32::from(last).wrapping_mul(0x27D4_EB2F));
    (h >> 24) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tape_of(json: &str) -> Vec<Node<'static>> {
        let leaked: &'static mut [u8] = Box::leak(json.as_bytes().to_vec().into_boxed_slice());
        simd_json::to_tape(leaked).unwrap().0
    }

    /// The flags of every object's members, from the record-wide table and from the view
    /// without one, against a plain pairwise comparison.
    fn flags(v: Value<'_, '_>, out: &mut Vec<(String, bool, bool)>) {
        match v.kind() {
            Kind::Object => {
                let keys: Vec<&str> = v.entries().map(|(k, _)| k).collect();
                for (i, m) in v.members_all().enumerate() {
                    let shadowed = keys[i + 1..].contains(&m.key);
                    let repeat = keys[..i].contains(&m.key);
                    assert_eq!((m.shadowed, m.repeat), (shadowed, repeat), "{}", m.key);
                    out.push((m.key.to_owned(), m.shadowed, m.repeat));
                    flags(m.value, out);
                }
            }
            Kind::Array => v.elements().for_each(|e| flags(e, out)),
            _ => {}
        }
    }

    #[test]
    fn shadows_agree_with_pairwise_comparison_eager_and_lazy() {
        let many: String = (0..200)
            .map(|i| format!("\"k{}\":{i}", i % 70))
            .collect::<Vec<_>>()
            .join(",");
        let docs = [
            r#"{"a":1,"b":2,"a":3,"c":{"x":1,"x":2,"y":[{"q":1,"q":2,"q":3}]},"b":4}"#.to_owned(),
            r#"{"email":"a","emails":"b","e":1,"":2,"":3}"#.to_owned(),
            r#"[{"a":1},{"a":1,"b":2}]"#.to_owned(),
            format!("{{{many}}}"),
            r#"{"a":{"a":{"a":1,"a":2}}}"#.to_owned(),
        ];
        for doc in &docs {
            let tape = tape_of(doc);
            let mut sh = Shadows::new();
            sh.compute(&tape);
            let (mut eager, mut lazy) = (Vec::new(), Vec::new());
            flags(Value::root_with(&tape, &sh), &mut eager);
            flags(Value::root(&tape), &mut lazy);
            assert_eq!(eager, lazy, "{doc}");
            assert_eq!(sh.any(), eager.iter().any(|f| f.1), "{doc}");
        }
    }

    #[test]
    fn dot_or_dollar_at_every_position() {
        for len in 0..20 {
            let plain = vec![b'a'; len];
            assert!(!has_dot_or_dollar(&plain));
            for at in 0..len {
                for c in [b'.', b'$'] {
                    let mut k = plain.clone();
                    k[at] = c;
                    assert!(has_dot_or_dollar(&k), "{len} {at}");
                }
                let mut k = plain.clone();
                k[at] = 0xAE; // '.' with the high bit set
                assert!(!has_dot_or_dollar(&k));
            }
        }
    }

    #[test]
    fn dotted_keys_below_the_root() {
        let tape = tape_of(r#"{"a.b":1,"m":{"x":{"y$":1}},"n":{"z":[{"q":1}]}}"#);
        let mut sh = Shadows::new();
        sh.compute(&tape);
        let root = Value::root_with(&tape, &sh);
        let m = root.get("m").unwrap();
        let n = root.get("n").unwrap();
        assert_eq!(m.has_dotted_key(), Some(true));
        assert_eq!(n.has_dotted_key(), Some(false));
        assert_eq!(Value::root(&tape).get("m").unwrap().has_dotted_key(), None);
    }

    #[test]
    fn members_keep_the_last_value_and_the_table_is_reused() {
        let tape = tape_of(r#"{"a":1,"b":2,"a":3}"#);
        let mut sh = Shadows::new();
        sh.compute(&tape);
        let root = Value::root_with(&tape, &sh);
        let kept: Vec<(&str, Option<f64>)> = root.members().map(|(k, v)| (k, v.as_f64())).collect();
        assert_eq!(kept, [("b", Some(2.0)), ("a", Some(3.0))]);
        assert_eq!(root.no_repeats_anywhere(), Some(false));
        // A record without repeats after one with them: no flag survives.
        let clean = tape_of(r#"{"a":1,"b":2,"c":3}"#);
        sh.compute(&clean);
        let root = Value::root_with(&clean, &sh);
        assert_eq!(root.no_repeats_anywhere(), Some(true));
        assert!(root.members_all().all(|m| !m.shadowed && !m.repeat));
        assert_eq!(Value::root(&clean).no_repeats_anywhere(), None);
    }
}
