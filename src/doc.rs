//! A read-only view over a parsed record: the flat tape of [`Node`]s that both parsers
//! (simd-json on the hot path, [`crate::parse`]'s exact fallback) produce.
//!
//! Objects keep every member, duplicates included, in input order; [`Value::get`] returns
//! the last one, as JavaScript's `JSON.parse` does.

pub use simd_json::{Node, StaticNode};

/// The JSON type of a value, named as the error messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}

impl Kind {
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
}

impl<'t, 'a> Value<'t, 'a> {
    /// The root value of a tape. The tape must not be empty.
    pub fn root(tape: &'t [Node<'a>]) -> Self {
        Value { tape, idx: 0 }
    }

    fn node(&self) -> Node<'a> {
        self.tape[self.idx]
    }

    /// Position of this value's node in the tape.
    pub fn tape_index(&self) -> usize {
        self.idx
    }

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

    pub fn as_str(&self) -> Option<&'a str> {
        match self.node() {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

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
            tape: self.tape,
            next,
            left,
        }
    }

    /// The elements of an array.
    pub fn elements(&self) -> Elements<'t, 'a> {
        let (next, left) = match self.node() {
            Node::Array { len, .. } => (self.idx + 1, len),
            _ => (self.idx + 1, 0),
        };
        Elements {
            tape: self.tape,
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
    tape: &'t [Node<'a>],
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
        let key = match self.tape[self.next] {
            Node::String(s) => s,
            _ => "",
        };
        let value = Value {
            tape: self.tape,
            idx: self.next + 1,
        };
        self.next += 1 + value.span();
        Some((key, value))
    }
}

/// Iterator over an array's elements.
#[derive(Debug)]
pub struct Elements<'t, 'a> {
    tape: &'t [Node<'a>],
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
        let value = Value {
            tape: self.tape,
            idx: self.next,
        };
        self.next += value.span();
        Some(value)
    }
}
