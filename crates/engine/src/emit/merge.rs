//! `--merge-metadata` (SPEC 5.4, ours): an existing user's metadata object deep-merged with
//! the record's, written minified.
//!
//! The record wins per key; where both values are objects they merge recursively; anything
//! else (arrays, scalars, `null`) replaces. Keys keep the existing object's order, and the
//! record's new keys follow in the record's order, as JavaScript's object spread would
//! have them. Repeated keys inside either object count once, at their first position with
//! their last value (`JSON.parse`).

use std::collections::HashMap;
use std::ops::Range;

use super::json::{write_minified, write_str};
use crate::raw;

/// Writes `base` (an object, raw bytes) merged with `top` (an object, raw bytes). Both must
/// be valid JSON, as a validated record and a loaded snapshot are.
pub fn write_merged(out: &mut Vec<u8>, base: &[u8], top: &[u8]) {
    let b = distinct(base);
    let t = distinct(top);
    let in_top: HashMap<&str, usize> = t.iter().enumerate().map(|(i, m)| (&*m.0, i)).collect();
    let in_base: HashMap<&str, usize> = b.iter().enumerate().map(|(i, m)| (&*m.0, i)).collect();
    out.push(b'{');
    let mut first = true;
    let mut key = |out: &mut Vec<u8>, k: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        write_str(out, k);
        out.push(b':');
    };
    for (k, bv) in &b {
        key(out, k);
        let bv = &base[bv.clone()];
        match in_top.get(&**k) {
            None => write_minified(out, bv),
            Some(&i) => {
                let tv = &top[t[i].1.clone()];
                if is_object(bv) && is_object(tv) {
                    write_merged(out, bv, tv);
                } else {
                    write_minified(out, tv);
                }
            }
        }
    }
    for (k, tv) in &t {
        if !in_base.contains_key(&**k) {
            key(out, k);
            write_minified(out, &top[tv.clone()]);
        }
    }
    out.push(b'}');
}

fn is_object(v: &[u8]) -> bool {
    v.first() == Some(&b'{')
}

/// The distinct keys of an object, decoded, at their first position with their last value.
fn distinct(obj: &[u8]) -> Vec<(String, Range<usize>)> {
    let mut list: Vec<(String, Range<usize>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for (lit, v) in raw::members(obj) {
        let mut k = String::new();
        raw::decode_into(lit, &mut k);
        match at.get(&k) {
            Some(&i) => list[i].1 = v,
            None => {
                at.insert(k.clone(), list.len());
                list.push((k, v));
            }
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(base: &str, top: &str) -> String {
        let mut out = Vec::new();
        write_merged(&mut out, base.as_bytes(), top.as_bytes());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn record_wins_objects_merge_others_replace() {
        assert_eq!(
            merged(
                r#"{"a":1,"o":{"x":1,"y":[1,2]},"arr":[1,2],"s":"old"}"#,
                r#"{"o":{"y":[3],"z":true},"arr":[9],"n":null,"s":{"k":1}}"#
            ),
            r#"{"a":1,"o":{"x":1,"y":[3],"z":true},"arr":[9],"s":{"k":1},"n":null}"#
        );
    }

    #[test]
    fn null_replaces_and_empty_objects_merge() {
        assert_eq!(merged(r#"{"a":{"b":1}}"#, r#"{"a":null}"#), r#"{"a":null}"#);
        assert_eq!(merged("{}", r#"{"a":1}"#), r#"{"a":1}"#);
        assert_eq!(merged(r#"{"a":1}"#, "{}"), r#"{"a":1}"#);
    }

    #[test]
    fn repeated_and_escaped_keys_count_once() {
        assert_eq!(
            merged(r#"{"a":1,"b":2,"a":3}"#, r#"{"\u0062":5, "c" : 6 ,"c":7}"#),
            r#"{"a":3,"b":5,"c":7}"#
        );
    }
}
