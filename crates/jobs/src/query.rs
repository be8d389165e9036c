//! Query strings as Auth0's list and read endpoints take them: repeated parameters kept in
//! order, typed readers, and the 400 that names the property at fault.

/// A query string's parameters, decoded, in order (a repeated name keeps every value).
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

/// A parameter that breaks its rule; the message is z-schema's, as Auth0 words it.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid {
    pub property: String,
    pub rule: String,
}

impl Invalid {
    fn new(property: &str, rule: String) -> Invalid {
        Invalid {
            property: property.to_owned(),
            rule,
        }
    }

    /// `Query validation error: '<rule>' on property <name>`.
    pub fn message(&self) -> String {
        format!(
            "Query validation error: '{}' on property {}",
            self.rule, self.property
        )
    }
}

impl Query {
    /// Decodes a raw query string (`None`: no `?` at all).
    pub fn parse(raw: Option<&str>) -> Query {
        Query(
            raw.map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        )
    }

    /// The first value of `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, each split at commas (Auth0 takes `a,b` and `x=a&x=b` alike),
    /// trimmed, empty pieces dropped.
    pub fn list(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.first(name).is_some()
    }

    /// `true` or `false`; `default` when absent.
    pub fn boolean(&self, name: &str, default: bool) -> Result<bool, Invalid> {
        match self.first(name).map(str::trim) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(Invalid::new(
                name,
                "Expected type boolean but found type string".to_owned(),
            )),
        }
    }

    /// An integer in `min..=max`; `None` when absent.
    pub fn integer(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, Invalid> {
        let Some(text) = self.first(name).map(str::trim) else {
            return Ok(None);
        };
        let n: i128 = text.parse().map_err(|_| {
            Invalid::new(
                name,
                "Expected type integer but found type string".to_owned(),
            )
        })?;
        if n < i128::from(min) {
            return Err(Invalid::new(
                name,
                format!("Value {n} is less than minimum {min}"),
            ));
        }
        if n > i128::from(max) {
            return Err(Invalid::new(
                name,
                format!("Value {n} is greater than maximum {max}"),
            ));
        }
        // In range, so it fits.
        Ok(Some(n as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_decoded_and_typed() {
        let q = Query::parse(Some(
            "take=50&include_totals=true&fields=id,%20name&fields=strategy&name=A%2BB&x=",
        ));
        assert_eq!(q.integer("take", 1, 100), Ok(Some(50)));
        assert_eq!(q.integer("page", 0, 100), Ok(None));
        assert_eq!(q.boolean("include_totals", false), Ok(true));
        assert_eq!(q.boolean("include_fields", true), Ok(true));
        assert_eq!(q.list("fields"), ["id", "name", "strategy"]);
        assert_eq!(q.first("name"), Some("A+B"));
        assert!(q.list("x").is_empty());
        assert!(q.has("x") && !q.has("y"));
        assert_eq!(Query::parse(None).first("a"), None);
    }

    #[test]
    fn bad_values_name_their_property() {
        let q = Query::parse(Some(
            "take=0&per_page=101&page=x&include_fields=yes&big=99999999999999999999999",
        ));
        assert_eq!(
            q.integer("take", 1, 100).unwrap_err().message(),
            "Query validation error: 'Value 0 is less than minimum 1' on property take"
        );
        assert_eq!(
            q.integer("per_page", 0, 100).unwrap_err().rule,
            "Value 101 is greater than maximum 100"
        );
        assert_eq!(
            q.integer("page", 0, u64::MAX).unwrap_err().rule,
            "Expected type integer but found type string"
        );
        assert_eq!(
            q.boolean("include_fields", true).unwrap_err().message(),
            "Query validation error: 'Expected type boolean but found type string' on property include_fields"
        );
        assert_eq!(
            q.integer("big", 0, 100).unwrap_err().rule,
            "Value 99999999999999999999999 is greater than maximum 100"
        );
    }
}
