//! File-level diffs of planned manifests, for the plan's text and markdown renderings.

use super::render::file_text;
use engine::lang::value::Value;

/// The repository file a planned (or prior) GitOps resource value stands for: its path and full
/// text (sakk's header naming `address`, then the YAML document). None while the path or the
/// document is known only after apply, or for a value that is not a GitOps resource.
pub fn planned_file(address: &str, value: &Value) -> Option<(String, String)> {
    let path = value.get_attr("path")?.as_str()?.to_string();
    let content = value.get_attr("content")?.as_str()?;
    Some((path, file_text(address, content)))
}

/// A unified diff (`--- a/path`, `+++ b/path`, hunks with 3 lines of context) between the file of
/// `prior` (None: created) and of `planned` (None: destroyed). None when the file is unchanged;
/// a note when the new text is known only after apply.
pub fn file_diff(address: &str, prior: Option<&Value>, planned: Option<&Value>) -> Option<String> {
    let old = prior.and_then(|v| planned_file(address, v));
    let new = planned.and_then(|v| planned_file(address, v));
    if planned.is_some() && new.is_none() {
        let p = old
            .as_ref()
            .map_or("(path known after apply)", |o| o.0.as_str());
        return Some(format!(
            "--- a/{p}\n+++ b/{p}\n(content known after apply)\n"
        ));
    }
    if old == new {
        return None;
    }
    let (old_path, old_text) = old.map_or(("/dev/null".to_string(), String::new()), |(p, t)| {
        (format!("a/{p}"), t)
    });
    let (new_path, new_text) = new.map_or(("/dev/null".to_string(), String::new()), |(p, t)| {
        (format!("b/{p}"), t)
    });
    let mut out = format!("--- {old_path}\n+++ {new_path}\n");
    out.push_str(&unified(&old_text, &new_text));
    Some(out)
}

/// The diffs of several resources as markdown: one fenced `diff` block per changed file.
/// `changes` holds (address, prior, planned).
pub fn markdown_diff(changes: &[(&str, Option<&Value>, Option<&Value>)]) -> String {
    let mut out = String::new();
    for (address, prior, planned) in changes {
        if let Some(d) = file_diff(address, *prior, *planned) {
            out.push_str(&format!("`{address}`\n\n```diff\n{d}```\n\n"));
        }
    }
    out
}

/// Line diff (longest common subsequence) as unified hunks.
fn unified(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (n, m) = (a.len(), b.len());
    // ops: ' ' keep, '-' remove, '+' add, in order.
    let mut ops: Vec<(char, &str)> = Vec::new();
    if n.saturating_mul(m) > 4_000_000 {
        ops.extend(a.iter().map(|l| ('-', *l)));
        ops.extend(b.iter().map(|l| ('+', *l)));
    } else {
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if a[i] == b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] {
                ops.push((' ', a[i]));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
                ops.push(('-', a[i]));
                i += 1;
            } else {
                ops.push(('+', b[j]));
                j += 1;
            }
        }
    }
    const CTX: usize = 3;
    let mut out = String::new();
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.0 != ' ')
        .map(|(k, _)| k)
        .collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CTX);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CTX {
            end = changed[k];
            k += 1;
        }
        let end = (end + CTX + 1).min(ops.len());
        let old_start = ops[..start].iter().filter(|o| o.0 != '+').count();
        let new_start = ops[..start].iter().filter(|o| o.0 != '-').count();
        let old_len = ops[start..end].iter().filter(|o| o.0 != '+').count();
        let new_len = ops[start..end].iter().filter(|o| o.0 != '-').count();
        out.push_str(&format!(
            "@@ -{},{old_len} +{},{new_len} @@\n",
            old_start + usize::from(old_len > 0),
            new_start + usize::from(new_len > 0)
        ));
        for (c, l) in &ops[start..end] {
            out.push(*c);
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks() {
        let d = unified("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!(d, "@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n");
        assert_eq!(unified("", "x\n"), "@@ -0,0 +1,1 @@\n+x\n");
        assert_eq!(unified("same\n", "same\n"), "");
    }
}
