//! Auth0's two ways to page a list, as `GET /api/v2/connections` takes them:
//!
//! - checkpoint: `from` (an id, omitted on the first call) and `take` (1..=100, default 50)
//!   answer `{"<list>":[...],"next":"<id>"}`, `next` omitted on the last page; given either
//!   parameter, this is the mode (`include_totals` is then ignored, as Auth0's SDKs send it
//!   with `take`);
//! - offset: `page` (from 0) and `per_page` (0..=100, default 50) answer a bare array, or with
//!   `include_totals=true` `{"<list>":[...],"start","limit","total"}`;
//! - neither: the bare array of everything.
//!
//! A checkpoint is the id of the first item of the next page, so it stays valid while the
//! list only grows after it (connections are only ever added).

use serde_json::{Map, Value};

use crate::query::{Invalid, Query};

const MAX_PAGE: u64 = 100;
const DEFAULT_PAGE: u64 = 50;

/// How the caller asked for the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    All,
    Checkpoint {
        from: Option<String>,
        take: usize,
    },
    Offset {
        page: u64,
        per_page: u64,
        totals: bool,
    },
}

impl Paging {
    pub fn from_query(q: &Query) -> Result<Paging, Invalid> {
        if q.has("from") || q.has("take") {
            let take = q.integer("take", 1, MAX_PAGE)?.unwrap_or(DEFAULT_PAGE);
            let from = q
                .first("from")
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned);
            return Ok(Paging::Checkpoint {
                from,
                take: take as usize,
            });
        }
        let totals = q.boolean("include_totals", false)?;
        let page = q.integer("page", 0, u64::from(u32::MAX))?;
        let per_page = q.integer("per_page", 0, MAX_PAGE)?;
        if page.is_none() && per_page.is_none() && !totals {
            return Ok(Paging::All);
        }
        Ok(Paging::Offset {
            page: page.unwrap_or(0),
            per_page: per_page.unwrap_or(DEFAULT_PAGE),
            totals,
        })
    }

    /// The answer for `items` (already filtered, in the list's order), each with an `id`.
    /// `Err` when `from` names no item of the list.
    pub fn answer(&self, key: &str, items: Vec<Value>) -> Result<Value, Invalid> {
        match self {
            Paging::All => Ok(Value::Array(items)),
            Paging::Checkpoint { from, take } => {
                let start = match from {
                    None => 0,
                    Some(id) => items
                        .iter()
                        .position(|c| c.get("id").and_then(Value::as_str) == Some(id))
                        .ok_or_else(|| Invalid {
                            property: "from".to_owned(),
                            rule: format!("No item of the list has the id {id}"),
                        })?,
                };
                let end = (start + take).min(items.len());
                let next = items
                    .get(end)
                    .and_then(|c| c.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let mut m = Map::new();
                m.insert(
                    key.to_owned(),
                    Value::Array(items.into_iter().skip(start).take(end - start).collect()),
                );
                if let Some(next) = next {
                    m.insert("next".to_owned(), next.into());
                }
                Ok(Value::Object(m))
            }
            Paging::Offset {
                page,
                per_page,
                totals,
            } => {
                let total = items.len();
                let start = page.saturating_mul(*per_page).min(total as u64) as usize;
                let slice: Vec<Value> = items
                    .into_iter()
                    .skip(start)
                    .take(*per_page as usize)
                    .collect();
                if !totals {
                    return Ok(Value::Array(slice));
                }
                let mut m = Map::new();
                m.insert(key.to_owned(), Value::Array(slice));
                m.insert("start".to_owned(), (page * per_page).into());
                m.insert("limit".to_owned(), (*per_page).into());
                m.insert("total".to_owned(), total.into());
                Ok(Value::Object(m))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items(n: usize) -> Vec<Value> {
        (0..n).map(|i| json!({"id": format!("c{i}")})).collect()
    }

    fn paging(q: &str) -> Paging {
        Paging::from_query(&Query::parse(Some(q))).unwrap()
    }

    fn ids(v: &Value) -> Vec<&str> {
        v["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn checkpoints_walk_the_list_once() {
        assert_eq!(
            paging("include_totals=true&take=50"),
            Paging::Checkpoint {
                from: None,
                take: 50
            }
        );
        let first = paging("take=2").answer("connections", items(5)).unwrap();
        assert_eq!(ids(&first), ["c0", "c1"]);
        assert_eq!(first["next"], "c2");
        let second = paging("take=2&from=c2")
            .answer("connections", items(5))
            .unwrap();
        assert_eq!(ids(&second), ["c2", "c3"]);
        let last = paging("take=2&from=c4")
            .answer("connections", items(5))
            .unwrap();
        assert_eq!(ids(&last), ["c4"]);
        assert!(last.get("next").is_none(), "{last}");
        let exact = paging("take=5").answer("connections", items(5)).unwrap();
        assert!(exact.get("next").is_none());
        assert_eq!(
            paging("from=").answer("connections", items(0)).unwrap(),
            json!({"connections": []})
        );
        let unknown = paging("take=2&from=nope").answer("connections", items(3));
        assert_eq!(unknown.unwrap_err().property, "from");
    }

    #[test]
    fn offsets_and_totals() {
        assert_eq!(paging(""), Paging::All);
        assert_eq!(paging("include_totals=false"), Paging::All);
        assert_eq!(
            paging("page=1&per_page=2")
                .answer("connections", items(5))
                .unwrap(),
            json!([{"id": "c2"}, {"id": "c3"}])
        );
        let v = paging("include_totals=true&page=2&per_page=2")
            .answer("connections", items(5))
            .unwrap();
        assert_eq!(ids(&v), ["c4"]);
        assert_eq!(
            (v["start"].clone(), v["limit"].clone(), v["total"].clone()),
            (json!(4), json!(2), json!(5))
        );
        let past = paging("include_totals=true&page=9")
            .answer("connections", items(5))
            .unwrap();
        assert_eq!(
            past,
            json!({"connections": [], "start": 450, "limit": 50, "total": 5})
        );
    }

    #[test]
    fn bad_paging_parameters_are_refused() {
        let err = |q: &str| Paging::from_query(&Query::parse(Some(q))).unwrap_err();
        assert_eq!(err("take=0").property, "take");
        assert_eq!(err("take=101").property, "take");
        assert_eq!(err("per_page=101").property, "per_page");
        assert_eq!(err("page=-1").property, "page");
        assert_eq!(err("include_totals=1").property, "include_totals");
    }
}
