//! Editing a stored user's JSON object byte for byte: members are copied as they are, so
//! numbers stay exactly as written (`1.50`, `1e400`, 30-digit integers), which a round trip
//! through a JSON library would not promise.

use user_import::json as raw;
use user_import::json::write_str;

/// `doc` (a JSON object) with the members named in `drop` left out, each member named in
/// `set` given that raw value (in place if present, appended otherwise, in `set`'s order).
pub fn rewrite(doc: &[u8], drop: &[&str], set: &[(String, &[u8])]) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        doc.len()
            + set
                .iter()
                .map(|(k, v)| k.len() + v.len() + 4)
                .sum::<usize>(),
    );
    out.push(b'{');
    let mut used = vec![false; set.len()];
    let mut key = String::new();
    for (lit, value) in raw::members(doc) {
        key.clear();
        raw::decode_into(lit, &mut key);
        if drop.contains(&key.as_str()) {
            continue;
        }
        let replaced = set.iter().position(|(k, _)| *k == key);
        if replaced.is_some_and(|i| used[i]) {
            continue;
        }
        if out.len() > 1 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(lit);
        out.extend_from_slice(b"\":");
        match replaced {
            Some(i) => {
                used[i] = true;
                out.extend_from_slice(set[i].1);
            }
            None => out.extend_from_slice(&doc[value]),
        }
    }
    for ((k, v), used) in set.iter().zip(used) {
        if !used {
            if out.len() > 1 {
                out.push(b',');
            }
            write_str(&mut out, k);
            out.push(b':');
            out.extend_from_slice(v);
        }
    }
    out.push(b'}');
    out
}

/// The members of a JSON object: decoded keys and raw values.
pub fn members(doc: &[u8]) -> Vec<(String, &[u8])> {
    raw::members(doc)
        .map(|(lit, value)| {
            let mut key = String::new();
            raw::decode_into(lit, &mut key);
            (key, &doc[value])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewriting_keeps_bytes_and_order() {
        let doc = br#"{"email":"a@x.co","password_hash":"h","app_metadata":{"a":1},"n":1e400}"#;
        let set = [
            ("app_metadata".to_owned(), &b"{\"c\":1.50}"[..]),
            ("given_name".to_owned(), &b"\"A\""[..]),
        ];
        assert_eq!(
            String::from_utf8(rewrite(doc, &["password_hash"], &set)).unwrap(),
            r#"{"email":"a@x.co","app_metadata":{"c":1.50},"n":1e400,"given_name":"A"}"#
        );
        assert_eq!(rewrite(b"{}", &[], &[]), b"{}");
        assert_eq!(
            rewrite(br#"{"a":1}"#, &["a"], &[("b".into(), b"2")]),
            br#"{"b":2}"#
        );
        let m = members(br#"{"k\u0041":[1, 2],"x":null}"#);
        assert_eq!(
            m,
            [
                ("kA".to_owned(), &b"[1, 2]"[..]),
                ("x".to_owned(), &b"null"[..])
            ]
        );
    }
}
