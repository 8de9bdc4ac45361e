//! The secrets guard's last line of defence: the sensitive strings the provider saw during this
//! apply, and the scan of every file (and commit message) about to be committed for them.
//!
//! The first line is the mark check of [`super::tree::from_value`]: a manifest value that
//! carries a sensitive mark anywhere (at plan and again at apply) is refused, unless it is a
//! reference to a secret ([`super::render`]'s policy). That check can only see marks that
//! arrive. A value can lose its mark on the way (a provider that rebuilds a computed attribute
//! from a sensitive input, a state that did not keep a nested mark): then the same string,
//! unmarked, would pass. So every sensitive string the provider instance is shown during plan
//! and apply (manifest values it refused, sensitive parts of its own configuration) is
//! remembered here, and [`Secrets::find`] looks for them, verbatim, in each file before the
//! commit: in the raw text and in every string of the YAML document read back (a multi-line or
//! escaped secret is not verbatim in the YAML text).
//!
//! Strings shorter than [`MIN_LEN`] characters are not remembered: they would match too much.
//! Nothing here ever prints a secret: [`Secrets`] answers with where a secret was seen
//! (`spec.source.helm.values of argocd_application "db"`), never with the secret.

use super::tree::{self, Node};
use engine::lang::value::{Kind, Value};
use std::collections::BTreeMap;

/// The shortest sensitive string the scan looks for.
pub const MIN_LEN: usize = 4;

/// Sensitive strings seen by a provider instance: string -> where it was seen first.
#[derive(Default, Clone)]
pub struct Secrets {
    seen: BTreeMap<String, String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} strings)", self.seen.len())
    }
}

impl Secrets {
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Remembers `s` (when at least [`MIN_LEN`] characters long), seen at `origin`.
    pub fn add(&mut self, s: &str, origin: &str) {
        if s.chars().count() >= MIN_LEN && !self.seen.contains_key(s) {
            self.seen.insert(s.to_string(), origin.to_string());
        }
    }

    /// Remembers every string inside `v` (leaves and map keys), marked or not: `v` is known to
    /// be sensitive as a whole.
    pub fn add_value(&mut self, v: &Value, origin: &str) {
        let (plain, _) = v.clone().unmark_deep();
        self.add_plain(&plain, origin);
    }

    fn add_plain(&mut self, v: &Value, origin: &str) {
        match v.kind() {
            Kind::String(s) => self.add(s, origin),
            Kind::List(xs) | Kind::Set(xs) | Kind::Tuple(xs) => {
                xs.iter().for_each(|x| self.add_plain(x, origin))
            }
            Kind::Map(m) | Kind::Object(m) => {
                for (k, x) in m {
                    self.add(k, origin);
                    self.add_plain(x, origin);
                }
            }
            _ => {}
        }
    }

    /// Adds everything `other` holds.
    pub fn extend(&mut self, other: &Secrets) {
        for (s, o) in &other.seen {
            self.add(s, o);
        }
    }

    /// Where the first remembered string that `text` contains was seen: `text` itself, and,
    /// when `text` is a YAML document (after sakk's header), each of its strings and keys.
    pub fn find(&self, text: &str) -> Option<&str> {
        if self.seen.is_empty() {
            return None;
        }
        if let Some(o) = self.find_raw(text) {
            return Some(o);
        }
        let body = super::render::strip_header(text);
        let doc = tree::parse_yaml(body).ok()?;
        let mut found = None;
        self.find_in_node(&doc, &mut found);
        found
    }

    /// Where the first remembered string that `text` contains verbatim was seen.
    pub fn find_raw(&self, text: &str) -> Option<&str> {
        self.seen
            .iter()
            .find(|(s, _)| text.contains(s.as_str()))
            .map(|(_, o)| o.as_str())
    }

    fn find_in_node<'a>(&'a self, n: &Node, found: &mut Option<&'a str>) {
        if found.is_some() {
            return;
        }
        match n {
            Node::Str(s) | Node::Num(s) => *found = self.find_raw(s),
            Node::Seq(xs) => xs.iter().for_each(|x| self.find_in_node(x, found)),
            Node::Map(m) => {
                for (k, x) in m {
                    if found.is_none() {
                        *found = self.find_raw(k);
                    }
                    self.find_in_node(x, found);
                }
            }
            Node::Null | Node::Unknown | Node::Bool(_) => {}
        }
    }
}

/// The credentials of a repository URL (`https://user:token@host/...`): the user-info and the
/// password part, for the scan (they must never reach a file).
pub fn url_credentials(url: &str) -> Vec<String> {
    let Some((_, rest)) = url.split_once("://") else {
        return Vec::new();
    };
    let authority = rest.split('/').next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return Vec::new();
    };
    let mut out = vec![userinfo.to_string()];
    if let Some((_, password)) = userinfo.split_once(':') {
        out.push(password.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_verbatim_multiline_and_escaped() {
        let mut s = Secrets::default();
        s.add("abc", "too short");
        assert!(s.is_empty());
        s.add("hunter2", "spec.x of argocd_application \"db\"");
        s.add_value(
            &Value::string("line one\n  \"quoted\" two\n").mark_sensitive(),
            "spec.y",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(
            s.find("# Managed by sakk: x\nspec:\n  v: hunter2\n"),
            Some("spec.x of argocd_application \"db\"")
        );
        // As YAML writes it: a literal block, indented.
        let doc = tree::to_yaml(&Node::Map(vec![(
            "v".into(),
            Node::Str("line one\n  \"quoted\" two\n".into()),
        )]));
        assert!(!doc.contains("line one\n  \"quoted\" two\n"));
        assert_eq!(s.find(&doc), Some("spec.y"));
        // Double-quoted with escapes.
        s.add("tab\tsecret", "spec.z");
        let doc = tree::to_yaml(&Node::Map(vec![(
            "v".into(),
            Node::Str("tab\tsecret".into()),
        )]));
        assert!(!doc.contains("tab\tsecret"));
        assert_eq!(s.find(&doc), Some("spec.z"));
        // In a key.
        let doc = tree::to_yaml(&Node::Map(vec![("a hunter2".into(), Node::Null)]));
        assert!(s.find(&doc).is_some());
        assert_eq!(s.find("spec:\n  v: hunter\n"), None);
        assert_eq!(format!("{s:?}"), "Secrets(3 strings)");
    }

    #[test]
    fn credentials_of_urls() {
        assert_eq!(
            url_credentials("https://bot:t0k3n@github.com/o/r.git"),
            vec!["bot:t0k3n".to_string(), "t0k3n".to_string()]
        );
        assert_eq!(
            url_credentials("https://t0k3n@github.com/o/r.git"),
            vec!["t0k3n".to_string()]
        );
        assert!(url_credentials("https://github.com/o/r.git").is_empty());
        assert!(url_credentials("git@github.com:o/r.git").is_empty());
    }
}
