//! Auth0's field selection (`fields=a,b` with `include_fields=true|false`) on the objects an
//! endpoint answers with: only the named top-level members, or all but them.

use serde_json::{Map, Value};

use crate::object;
use crate::query::{Invalid, Query};

/// Which members of an answer's objects to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    names: Vec<String>,
    /// Keep only `names` (true) or everything but them (false).
    include: bool,
}

impl Fields {
    /// `fields` and `include_fields` (default true) from the query. `None` when `fields` is
    /// absent or empty: Auth0 then answers every field, whatever `include_fields` says.
    pub fn from_query(q: &Query) -> Result<Option<Fields>, Invalid> {
        let include = q.boolean("include_fields", true)?;
        let names: Vec<String> = q.list("fields").into_iter().map(str::to_owned).collect();
        Ok((!names.is_empty()).then_some(Fields { names, include }))
    }

    fn keeps(&self, key: &str) -> bool {
        self.names.iter().any(|n| n == key) == self.include
    }

    /// An object built as a JSON value, selected in place.
    pub fn select(&self, m: &mut Map<String, Value>) {
        m.retain(|k, _| self.keeps(k));
    }

    /// A stored object (raw JSON), selected byte for byte: kept members are copied as they
    /// are, as everywhere a stored user is shown.
    pub fn select_raw(&self, doc: &str) -> String {
        let members = object::members(doc.as_bytes());
        let drop: Vec<&str> = members
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !self.keeps(k))
            .collect();
        String::from_utf8_lossy(&object::rewrite(doc.as_bytes(), &drop, &[])).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(q: &str) -> Option<Fields> {
        Fields::from_query(&Query::parse(Some(q))).unwrap()
    }

    #[test]
    fn included_or_excluded_fields() {
        let doc = r#"{"email":"a@x.co","user_id":"auth0|1","n":1.50,"user_metadata":{"a":1e400}}"#;
        let only = fields("fields=n,user_metadata,missing").unwrap();
        assert_eq!(
            only.select_raw(doc),
            r#"{"n":1.50,"user_metadata":{"a":1e400}}"#
        );
        let but = fields("fields=email&fields=n&include_fields=false").unwrap();
        assert_eq!(
            but.select_raw(doc),
            r#"{"user_id":"auth0|1","user_metadata":{"a":1e400}}"#
        );
        let mut m = json!({"id": "con_1", "name": "DB", "strategy": "auth0"})
            .as_object()
            .unwrap()
            .clone();
        fields("fields=id,name").unwrap().select(&mut m);
        assert_eq!(Value::Object(m), json!({"id": "con_1", "name": "DB"}));
    }

    #[test]
    fn no_fields_no_selection() {
        assert_eq!(fields("include_fields=false"), None);
        assert_eq!(fields("fields="), None);
        assert_eq!(fields("fields=,"), None);
        let bad = Fields::from_query(&Query::parse(Some("fields=a&include_fields=1")));
        assert_eq!(bad.unwrap_err().property, "include_fields");
    }
}
