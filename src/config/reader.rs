//! A span-aware reader over a parsed TOML document that records every
//! problem instead of stopping at the first one (serde stops at the first).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use toml_edit::{Item, Value};

use super::diagnostic::Diagnostic;

/// Collects diagnostics and the source span of every key that was read.
#[derive(Debug, Default)]
pub struct Reader {
    pub diags: Vec<Diagnostic>,
    /// Key paths that already have a problem; later checks skip them.
    pub failed: std::collections::HashSet<String>,
    /// Dotted key path (`msk.broker_count`, `network.azs[1]`) → value span.
    pub spans: HashMap<String, Range<usize>>,
}

/// A table being read: which keys were asked for, so the rest are unknown.
pub struct Tbl<'a> {
    path: String,
    /// A stand-in for a missing table: its missing keys are not reported again.
    absent: bool,
    span: Option<Range<usize>>,
    entries: Vec<Entry<'a>>,
    asked: BTreeSet<&'static str>,
}

impl<'a> Tbl<'a> {
    /// Stands in for an absent table so reading can go on and find more problems.
    pub fn empty(path: &str) -> Self {
        Tbl {
            path: path.to_string(),
            absent: true,
            span: None,
            entries: Vec::new(),
            asked: BTreeSet::new(),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn take(&mut self, key: &'static str) -> Option<(Option<Range<usize>>, &'a Item)> {
        self.asked.insert(key);
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, ks, it)| (ks.clone(), *it))
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _, _)| *k == key)
    }
}

/// Human name of a TOML value's type, for "expected X, found Y".
fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
        Item::Value(v) => value_type_name(v),
    }
}

fn value_type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "a table",
    }
}

type Entry<'a> = (&'a str, Option<Range<usize>>, &'a Item);

/// Keys with their spans, in file order, for a table or an inline table.
fn entries_of(t: &dyn toml_edit::TableLike) -> Vec<Entry<'_>> {
    t.iter()
        .filter_map(|(k, _)| t.get_key_value(k))
        .map(|(k, it)| (k.get(), k.span(), it))
        .collect()
}

fn item_span(item: &Item) -> Option<Range<usize>> {
    match item {
        Item::Value(v) => v.span(),
        Item::Table(t) => t.span(),
        _ => item.span(),
    }
}

impl Reader {
    pub fn root<'a>(&mut self, doc: &'a toml_edit::Table) -> Tbl<'a> {
        Tbl {
            path: String::new(),
            absent: false,
            span: None,
            entries: entries_of(doc),
            asked: BTreeSet::new(),
        }
    }

    fn error(
        &mut self,
        key: String,
        span: Option<Range<usize>>,
        msg: impl Into<String>,
    ) -> &mut Diagnostic {
        self.failed.insert(key.clone());
        self.diags.push(Diagnostic::new(key, span, msg));
        self.diags.last_mut().expect("just pushed")
    }

    fn wrong_type(&mut self, path: String, item: &Item, expected: &str) {
        self.error(
            path,
            item_span(item),
            format!("expected {expected}, found {}", type_name(item)),
        );
    }

    /// A sub-table (`[section]`, a dotted key or an inline table). Missing → `None`.
    pub fn table<'a>(&mut self, parent: &mut Tbl<'a>, key: &'static str) -> Option<Tbl<'a>> {
        let (key_span, item) = parent.take(key)?;
        let path = parent.key_path(key);
        let (entries, span): (Vec<_>, _) = match item {
            Item::Table(t) => (entries_of(t), t.span().or(key_span)),
            Item::Value(Value::InlineTable(t)) => (entries_of(t), t.span()),
            other => {
                self.wrong_type(path, other, "a table");
                return None;
            }
        };
        if let Some(s) = &span {
            self.spans.insert(path.clone(), s.clone());
        }
        Some(Tbl {
            path,
            absent: false,
            span,
            entries,
            asked: BTreeSet::new(),
        })
    }

    fn scalar<'a>(&mut self, t: &mut Tbl<'a>, key: &'static str) -> Option<(String, &'a Item)> {
        let (_, item) = t.take(key)?;
        let path = t.key_path(key);
        if let Some(s) = item_span(item) {
            self.spans.insert(path.clone(), s);
        }
        Some((path, item))
    }

    /// Marks `key` as known whatever its value, recording its span; true when present.
    pub fn present(&mut self, t: &mut Tbl<'_>, key: &'static str) -> bool {
        self.scalar(t, key).is_some()
    }

    pub fn string(&mut self, t: &mut Tbl<'_>, key: &'static str) -> Option<String> {
        let (path, item) = self.scalar(t, key)?;
        match item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.wrong_type(path, item, "a string");
                None
            }
        }
    }

    pub fn int(&mut self, t: &mut Tbl<'_>, key: &'static str) -> Option<i64> {
        let (path, item) = self.scalar(t, key)?;
        match item.as_integer() {
            Some(i) => Some(i),
            None => {
                self.wrong_type(path, item, "an integer");
                None
            }
        }
    }

    pub fn boolean(&mut self, t: &mut Tbl<'_>, key: &'static str) -> Option<bool> {
        let (path, item) = self.scalar(t, key)?;
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(path, item, "a boolean (true or false)");
                None
            }
        }
    }

    /// An array of strings; each element's span is recorded as `key[i]`.
    pub fn string_list(&mut self, t: &mut Tbl<'_>, key: &'static str) -> Option<Vec<String>> {
        let (path, item) = self.scalar(t, key)?;
        let Some(arr) = item.as_array() else {
            self.wrong_type(path, item, "an array of strings");
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, v) in arr.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if let Some(s) = v.span() {
                self.spans.insert(p.clone(), s);
            }
            match v.as_str() {
                Some(s) => out.push(s.to_string()),
                None => {
                    ok = false;
                    self.error(
                        p,
                        v.span(),
                        format!("expected a string, found {}", value_type_name(v)),
                    );
                }
            }
        }
        ok.then_some(out)
    }

    /// A table of scalar values kept as strings (`key = "v"`, `key = 1`, `key = true`).
    /// With `strings_only`, only string values are accepted (tags).
    pub fn string_map(
        &mut self,
        t: &mut Tbl<'_>,
        key: &'static str,
        strings_only: bool,
    ) -> Option<BTreeMap<String, String>> {
        let mut sub = self.table(t, key)?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (k, ks, item) in std::mem::take(&mut sub.entries) {
            let p = format!("{}.{}", sub.path, quote_key(k));
            let span = item_span(item).or(ks);
            if let Some(s) = &span {
                self.spans.insert(p.clone(), s.clone());
            }
            let v = match item {
                Item::Value(Value::String(s)) => Some(s.value().clone()),
                Item::Value(Value::Integer(i)) if !strings_only => Some(i.value().to_string()),
                Item::Value(Value::Boolean(b)) if !strings_only => Some(b.value().to_string()),
                Item::Value(Value::Float(f)) if !strings_only => Some(f.value().to_string()),
                other => {
                    ok = false;
                    let expected = if strings_only {
                        "a string"
                    } else {
                        "a string, number or boolean"
                    };
                    self.wrong_type(p.clone(), other, expected);
                    None
                }
            };
            if let Some(v) = v {
                out.insert(k.to_string(), v);
            }
        }
        ok.then_some(out)
    }

    /// Reports a required key that is absent, pointing at its table.
    pub fn missing(&mut self, t: &Tbl<'_>, key: &str, help: &str) {
        if t.absent {
            return;
        }
        let msg = if t.path.is_empty() {
            format!("missing required section [{key}]")
        } else {
            format!("missing required key `{key}` in [{}]", t.path)
        };
        self.error(t.key_path(key), t.span.clone(), msg).help = Some(help.to_string());
    }

    /// Reports every key of `t` that was never asked for.
    pub fn finish(&mut self, t: Tbl<'_>) {
        let allowed: Vec<&str> = t.asked.iter().copied().collect();
        for (k, ks, item) in &t.entries {
            if t.asked.contains(k) {
                continue;
            }
            let span = ks.clone().or_else(|| item_span(item));
            let where_ = if t.path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in [{}]", t.path)
            };
            let suggestion = allowed
                .iter()
                .map(|a| (strsim::jaro_winkler(k, a), *a))
                .filter(|(score, _)| *score > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, a)| format!("did you mean `{a}`? "))
                .unwrap_or_default();
            self.error(t.key_path(k), span, format!("unknown key `{k}` {where_}"))
                .help = Some(format!("{suggestion}allowed keys: {}", allowed.join(", ")));
        }
    }

    /// True when none of `keys`, keys under them, or the tables above them
    /// has a problem yet (so one mistake is not reported again as its
    /// consequences).
    pub fn ok(&self, keys: &[&str]) -> bool {
        let related = |f: &str, k: &str| {
            let under = |a: &str, b: &str| {
                a.strip_prefix(b)
                    .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
            };
            f == k || under(f, k) || under(k, f)
        };
        keys.iter()
            .all(|k| !self.failed.iter().any(|f| related(f, k)))
    }

    /// Adds a problem found by a later check, pointing at the recorded span of `key`.
    pub fn report(&mut self, key: &str, message: impl Into<String>, help: impl Into<String>) {
        let span = self.spans.get(key).cloned();
        let help = help.into();
        let d = self.error(key.to_string(), span, message);
        if !help.is_empty() {
            d.help = Some(help);
        }
    }

    /// [`Reader::report`] for a value that may be a secret: its line and
    /// column are named, its text is never shown.
    pub fn report_secret(
        &mut self,
        key: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.report(key, message, help);
        if let Some(d) = self.diags.last_mut() {
            d.redact = true;
        }
    }
}

/// Quotes a key for display when it is not a bare TOML key (e.g. `"auto.create.topics.enable"`).
pub fn quote_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        format!("\"{k}\"")
    }
}
