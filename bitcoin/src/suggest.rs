//! Did-you-mean: the known names closest to a mistyped one, by edit distance.

/// The optimal-string-alignment distance between `a` and `b`: the fewest single-character
/// insertions, deletions, substitutions and swaps of neighbours that turn one into the other.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between the first i chars of a and the first j chars of b.
    let mut rows: Vec<Vec<usize>> = (0..=a.len())
        .map(|i| (0..=b.len()).map(|j| if i == 0 { j } else { i }).collect())
        .collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// The candidates close enough to `input` to be what the user meant, the closest first
/// (ties keep the candidates' order). Case is ignored; a candidate equal to `input` is not
/// suggested. Close enough: at most one edit per three characters of the candidate, and at
/// least one edit allowed.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let input_lower = input.to_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != input)
        .filter_map(|c| {
            let distance = edit_distance(&input_lower, &c.to_lowercase());
            let allowed = (c.chars().count() / 3).max(1);
            (distance <= allowed).then_some((distance, c))
        })
        .collect();
    scored.sort_by_key(|(distance, _)| *distance);
    let Some(&(best, _)) = scored.first() else {
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    for (_, name) in scored.into_iter().take_while(|(d, _)| *d == best) {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("node", "node"), 0);
        assert_eq!(edit_distance("nod", "node"), 1);
        assert_eq!(edit_distance("nodee", "node"), 1);
        assert_eq!(edit_distance("mode", "node"), 1);
        assert_eq!(edit_distance("ndoe", "node"), 1);
        assert_eq!(edit_distance("rcp", "rpc"), 1);
        assert_eq!(edit_distance("", "gui"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("wälet", "wallet"), 2);
    }

    #[test]
    fn suggestions() {
        let commands = ["node", "gui", "wallet", "rpc", "help"];
        assert_eq!(did_you_mean("nod", commands), ["node"]);
        assert_eq!(did_you_mean("NODE", commands), ["node"]);
        assert_eq!(did_you_mean("walet", commands), ["wallet"]);
        assert_eq!(did_you_mean("rcp", commands), ["rpc"]);
        assert_eq!(did_you_mean("gu", commands), ["gui"]);
        assert!(did_you_mean("node", commands).is_empty());
        assert!(did_you_mean("xyz", commands).is_empty());
        assert!(did_you_mean("g", commands).is_empty());
        assert!(did_you_mean("", commands).is_empty());
    }

    #[test]
    fn ties_are_all_suggested_in_order_without_duplicates() {
        assert_eq!(did_you_mean("cat", ["bat", "rat", "bat"]), ["bat", "rat"]);
        assert_eq!(
            did_you_mean("foo", ["fooo", "fo", "xfoo"]),
            ["fooo", "fo", "xfoo"]
        );
        assert_eq!(did_you_mean("foo", ["fooo", "foxxo"]), ["fooo"]);
    }
}
