//! Unified diffs in the format `terraform fmt -diff` prints (`diff -u` with `old/` and `new/`
//! labels, three lines of context).

use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal(usize, usize),
    Delete(usize),
    Insert(usize),
}

/// The unified diff from `old` to `new`, labelled `old/<label>` and `new/<label>`; empty when
/// they are equal.
pub fn unified_diff(label: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = diff_lines(&a, &b);
    let mut out = format!("--- old/{label}\n+++ new/{label}\n");
    const CONTEXT: usize = 3;
    // Group the edit script into hunks: runs of changes with up to 2*CONTEXT equal lines between.
    let changes: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Equal(..)))
        .map(|(i, _)| i)
        .collect();
    let mut g = 0;
    while g < changes.len() {
        let mut last = changes[g];
        let mut h = g + 1;
        while h < changes.len() && changes[h] - last <= 2 * CONTEXT {
            last = changes[h];
            h += 1;
        }
        let start = changes[g].saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(ops.len());
        let hunk = &ops[start..end];
        // Line numbers where the hunk starts on each side.
        let (mut oa, mut ob) = (0, 0);
        for op in &ops[..start] {
            match op {
                Op::Equal(..) => {
                    oa += 1;
                    ob += 1;
                }
                Op::Delete(_) => oa += 1,
                Op::Insert(_) => ob += 1,
            }
        }
        let na = hunk.iter().filter(|o| !matches!(o, Op::Insert(_))).count();
        let nb = hunk.iter().filter(|o| !matches!(o, Op::Delete(_))).count();
        let _ = writeln!(out, "@@ -{} +{} @@", range(oa, na), range(ob, nb));
        for op in hunk {
            let (sign, line) = match *op {
                Op::Equal(i, _) => (' ', a[i]),
                Op::Delete(i) => ('-', a[i]),
                Op::Insert(j) => ('+', b[j]),
            };
            out.push(sign);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
        g = h;
    }
    out
}

fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{}", start + 1, len),
    }
}

/// A shortest edit script (Myers' algorithm) turning `a` into `b`.
fn diff_lines(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let off = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    'outer: for d in 0..=max as isize {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let idx = (k + off) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
                v[idx + 1]
            } else {
                v[idx - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                break 'outer;
            }
            k += 2;
        }
    }
    // Walk back through the trace.
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (0..trace.len() as isize).rev() {
        let v = &trace[d as usize];
        let k = x - y;
        let idx = (k + off) as usize;
        let prev_k = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = if d == 0 {
            0
        } else {
            v[(prev_k + off) as usize]
        };
        let prev_y = prev_x - prev_k;
        while x > prev_x.max(0)
            && y > prev_y.max(0)
            && x > 0
            && y > 0
            && a[(x - 1) as usize] == b[(y - 1) as usize]
        {
            x -= 1;
            y -= 1;
            ops.push(Op::Equal(x as usize, y as usize));
        }
        if d > 0 {
            if x == prev_x {
                y -= 1;
                ops.push(Op::Insert(y as usize));
            } else {
                x -= 1;
                ops.push(Op::Delete(x as usize));
            }
        }
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        ops.push(Op::Equal(x as usize, y as usize));
    }
    ops.reverse();
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_like_diff_u() {
        let old = "a=1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6\ng = 7\nh = 8\ni = 9\nj=10\n";
        let new = old.replace("a=1", "a = 1").replace("j=10", "j = 10");
        let d = unified_diff("m.tf", old, &new);
        assert_eq!(
            d,
            "--- old/m.tf\n+++ new/m.tf\n@@ -1,4 +1,4 @@\n-a=1\n+a = 1\n b = 2\n c = 3\n d = 4\n\
             @@ -7,4 +7,4 @@\n g = 7\n h = 8\n i = 9\n-j=10\n+j = 10\n"
        );
        assert_eq!(
            unified_diff("n.tfvars", "x=1", "x = 1"),
            "--- old/n.tfvars\n+++ new/n.tfvars\n@@ -1 +1 @@\n-x=1\n\\ No newline at end of file\n+x = 1\n\\ No newline at end of file\n"
        );
        assert_eq!(unified_diff("x", "same\n", "same\n"), "");
    }

    #[test]
    fn edit_scripts_are_complete() {
        let a = ["1\n", "2\n", "3\n"];
        let b = ["0\n", "2\n", "3\n", "4\n"];
        let ops = diff_lines(&a, &b);
        let dels = ops.iter().filter(|o| matches!(o, Op::Delete(_))).count();
        let ins = ops.iter().filter(|o| matches!(o, Op::Insert(_))).count();
        assert_eq!((dels, ins), (1, 2));
        assert_eq!(diff_lines(&[], &b).len(), 4);
        assert_eq!(diff_lines(&a, &[]).len(), 3);
    }
}
